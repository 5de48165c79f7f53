import type { JsonValue } from '@tidings/protocol'

/** The kinds of attribute a schema can declare; each maps to one SQLite column type. */
export type Kind = 'string' | 'number' | 'boolean' | 'date' | 'json' | 'ref'

/**
 * One declared attribute. The type parameters exist only for inference: `T` is the value
 * type, `O` whether it may be absent, `D` whether it has a default (so `create` may omit it).
 */
export class Attr<T, O extends boolean = false, D extends boolean = false, K extends Kind = Kind> {
  declare readonly _value: T
  declare readonly _optional: O
  declare readonly _default: D

  constructor(
    readonly kind: K,
    readonly spec: {
      readonly optional: boolean
      readonly indexed: boolean
      readonly hasDefault: boolean
      readonly defaultValue?: T
      readonly target?: string
    },
  ) {}

  /** The attribute may be absent; reads omit it, `update` clears it with `null`. */
  optional(): Attr<T, true, D, K> {
    return new Attr<T, true, D, K>(this.kind, { ...this.spec, optional: true })
  }

  /** Written by `create` when the caller omits it; also read in place of a missing value. */
  default(value: T): Attr<T, O, true, K> {
    return new Attr<T, O, true, K>(this.kind, {
      ...this.spec,
      hasDefault: true,
      defaultValue: value,
    })
  }

  /** Adds an index on this attribute's column of the typed table, for `fetch` filters and sorts. */
  index(): Attr<T, O, D, K> {
    return new Attr<T, O, D, K>(this.kind, { ...this.spec, indexed: true })
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
export type AnyAttr = Attr<unknown, boolean, boolean, Kind>
