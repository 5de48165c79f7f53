import type { JsonValue } from '../json.js'

/** The kinds of attribute a schema can declare; each maps to one SQLite column type. */
export type Kind = 'string' | 'number' | 'boolean' | 'date' | 'json' | 'ref'

/** The value a conversion receives for a register holding a value of `K` (dates as `Date`). */
export type KindValue<K extends Kind> = K extends 'number'
  ? number
  : K extends 'boolean'
    ? boolean
    : K extends 'date'
      ? Date
      : K extends 'json'
        ? JsonValue
        : string

/**
 * How a value written by another app version (of kind `from`) becomes this attribute's value;
 * `undefined` (or a throw, or a value of the wrong kind) means it cannot be read.
 */
export interface Conversion {
  readonly from: Kind
  readonly convert: (value: never) => unknown
}

/**
 * One declared attribute. The type parameters exist only for inference: `T` is the value
 * type, `O` whether it may be absent, `D` whether it has a default (so `create` may omit it),
 * `U` whether a read may find a value this app version cannot read (a versioned schema, or a
 * declared conversion): reads then type it as possibly absent.
 */
export class Attr<
  T,
  O extends boolean = false,
  D extends boolean = false,
  K extends Kind = Kind,
  U extends boolean = false,
> {
  declare readonly _value: T
  declare readonly _optional: O
  declare readonly _default: D
  declare readonly _unreadable: U

  constructor(
    readonly kind: K,
    readonly spec: {
      readonly optional: boolean
      readonly indexed: boolean
      readonly hasDefault: boolean
      readonly defaultValue?: T
      readonly target?: string
      /** Earlier names of this attribute, newest first (`renamedFrom`). */
      readonly renamedFrom?: readonly string[]
      /** How values of other kinds (earlier app versions) are read, in declaration order. */
      readonly conversions?: readonly Conversion[]
      /** A read may find a value it cannot read (set by a versioned `defineSchema`). */
      readonly mayBeUnreadable?: boolean
    },
  ) {}

  /** The attribute may be absent; reads omit it, `update` clears it with `null`. */
  optional(): Attr<T, true, D, K, U> {
    return new Attr<T, true, D, K, U>(this.kind, { ...this.spec, optional: true })
  }

  /**
   * Written by `create` when the caller omits it; also read in place of a missing value, or
   * of one this app version cannot read (which `unreadable()` still reports).
   */
  default(value: T): Attr<T, O, true, K, U> {
    return new Attr<T, O, true, K, U>(this.kind, {
      ...this.spec,
      hasDefault: true,
      defaultValue: value,
    })
  }

  /** Adds an index on this attribute's column of the typed table, for `fetch` filters and sorts. */
  index(): Attr<T, O, D, K, U> {
    return new Attr<T, O, D, K, U>(this.kind, { ...this.spec, indexed: true })
  }

  /**
   * The attribute was called `names` by earlier app versions (newest first). Reads take the
   * latest write under any of the names; writes go under every name, so devices still on an
   * earlier version keep reading and writing it (see the client README, "Schema versions").
   */
  renamedFrom(...names: [string, ...string[]]): Attr<T, O, D, K, U> {
    const renamedFrom = [...(this.spec.renamedFrom ?? []), ...names]
    return new Attr<T, O, D, K, U>(this.kind, { ...this.spec, renamedFrom })
  }

  /**
   * Declares how a value of kind `from`, written by an app version where this attribute had
   * that kind, reads now: `t.number().from('string', (s) => Number.parseInt(s, 10))`. Applied
   * when the log is projected, identically on every device of this version, so it must be a
   * pure function. Returning `undefined` (or throwing, or a value of the wrong kind) leaves
   * the value unreadable: absent in reads and listed by `unreadable()`.
   */
  from<F extends Kind>(
    from: F,
    convert: (value: KindValue<F>) => T | undefined,
  ): Attr<T, O, D, K, true> {
    const conversions = [...(this.spec.conversions ?? []), { from, convert } as Conversion]
    return new Attr<T, O, D, K, true>(this.kind, { ...this.spec, conversions })
  }
}

const base = { optional: false, indexed: false, hasDefault: false } as const

/** Attribute builders: `t.string()`, `t.number()`, `t.boolean()`, `t.date()`, `t.json<T>()`, `t.ref('type')`. */
export const t = {
  string: (): Attr<string> => new Attr('string', base),
  number: (): Attr<number> => new Attr('number', base),
  boolean: (): Attr<boolean> => new Attr('boolean', base),
  /** Stored as ISO-8601 UTC text (sorts as text, readable in the log); read back as `Date`. */
  date: (): Attr<Date> => new Attr('date', base),
  json: <T extends JsonValue = JsonValue>(): Attr<T> => new Attr('json', base),
  /** A to-one relationship: the id of an entity of `target` (indexed, for the inverse to-many). */
  ref: <Target extends string>(target: Target): Attr<string, false, false, 'ref'> =>
    new Attr('ref', { ...base, indexed: true, target }),
}

/** Any attribute, whatever its value type. */
export type AnyAttr = Attr<unknown, boolean, boolean, Kind, boolean>
