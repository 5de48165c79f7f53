import { TidingsError } from '../errors.js'
import { type AnyAttr, Attr } from './attr.js'
import { schemaError } from './reasons.js'
import type { Shape, Shapes, Versioned } from './types.js'

/** Names the client keeps for itself in every typed table. */
export const RESERVED = ['id', 'deleted', 'space'] as const
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]{0,62}$/

/**
 * Compound indexes per type, each a list of attribute names in index order, like Core Data's
 * fetch indexes: `{ document: [['author', 'title']] }` serves `where author = … order by title`
 * from the index alone. (One attribute: `.index()` on the attribute.)
 */
export type CompoundIndexes<S extends Shapes> = {
  readonly [T in keyof S]?: ReadonlyArray<
    readonly [keyof S[T] & string, ...(keyof S[T] & string)[]]
  >
}

export interface SchemaOptions<S extends Shapes> {
  indexes?: CompoundIndexes<S>
  /**
   * The app's schema version, a positive integer raised with each release that changes the
   * schema. Declaring one makes reads honest about other versions' values (any attribute
   * without a default may read as absent), sends it with every sync (a server started with
   * `--min-schema-version` refuses older ones) and reprojects the log at open when it changes.
   */
  version?: number
}

/** A checked schema; `types` keeps the declaration so TypeScript can infer every object type. */
export interface Schema<S extends Shapes = Shapes> {
  readonly types: S
  /** The declared schema version (undefined: the app declares none). */
  readonly version: number | undefined
  /** The compound indexes of `type` (attribute lists), empty when none are declared. */
  indexes(type: string): ReadonlyArray<readonly string[]>
  /** The declared attributes of `type`, or throws `bad_request` naming the unknown type. */
  shape(type: string): Readonly<Record<string, AnyAttr>>
  has(type: string): boolean
}

/**
 * Declares the entity types once; everything else (object types, create/update inputs, where
 * clauses) is inferred from it. Type and attribute names become SQL identifiers, so they must be
 * identifiers; `id`, `deleted` and `space` are reserved; a `t.ref` must name a declared type.
 */
export function defineSchema<const S extends Shapes>(
  types: S,
  options: SchemaOptions<S> & { version: number },
): Schema<Versioned<S>>
export function defineSchema<const S extends Shapes>(
  types: S,
  options?: SchemaOptions<S>,
): Schema<S>
export function defineSchema<const S extends Shapes>(
  declared: S,
  options: SchemaOptions<S> = {},
): Schema<S> {
  const version = options.version
  if (version !== undefined && !(Number.isSafeInteger(version) && version >= 1))
    throw bad(`the schema version must be a positive integer, got ${String(version)}`)
  for (const [type, shape] of Object.entries(declared)) {
    if (!IDENTIFIER.test(type)) throw bad(`type name ${JSON.stringify(type)} is not an identifier`)
    const names = new Set(Object.keys(shape))
    for (const [name, attr] of Object.entries(shape)) {
      if (!IDENTIFIER.test(name)) throw bad(`${type}.${name} is not an identifier`)
      if ((RESERVED as readonly string[]).includes(name)) throw bad(`${type}.${name} is reserved`)
      const target = attr.spec.target
      if (target !== undefined && !Object.hasOwn(declared, target))
        throw bad(`${type}.${name} refers to unknown type ${JSON.stringify(target)}`)
      // An old name is another register of the same entity: it must not be in use, or be
      // claimed twice, or reads of the two attributes would mix.
      for (const old of attr.spec.renamedFrom ?? []) {
        if (!IDENTIFIER.test(old) || (RESERVED as readonly string[]).includes(old))
          throw bad(`${type}.${name} is renamed from ${JSON.stringify(old)}, not a usable name`)
        if (names.has(old)) throw bad(`${type}.${name} is renamed from ${old}, which is declared`)
        names.add(old)
      }
    }
  }
  // A versioned schema marks every attribute as possibly unreadable (its own copy: the
  // declaration's attributes may be shared with another schema).
  const types =
    version === undefined
      ? declared
      : (Object.fromEntries(
          Object.entries(declared).map(([type, shape]) => [
            type,
            Object.fromEntries(
              Object.entries(shape).map(([name, attr]) => [
                name,
                new Attr(attr.kind, { ...attr.spec, mayBeUnreadable: true }),
              ]),
            ),
          ]),
        ) as S)
  const indexes = (options.indexes ?? {}) as Record<string, ReadonlyArray<readonly string[]>>
  for (const [type, lists] of Object.entries(indexes)) {
    if (!Object.hasOwn(types, type))
      throw bad(`an index names unknown type ${JSON.stringify(type)}`)
    for (const list of lists) {
      if (list.length === 0) throw bad(`an index of ${type} names no attribute`)
      for (const name of list)
        if (!Object.hasOwn(types[type] as Shape, name))
          throw bad(`an index of ${type} names unknown attribute ${JSON.stringify(name)}`)
    }
  }
  return {
    types,
    version,
    indexes: (type) => indexes[type] ?? [],
    has: (type) => Object.hasOwn(types, type),
    shape: (type) => {
      if (!Object.hasOwn(types, type))
        throw schemaError('unknown_type', type, `unknown type ${JSON.stringify(type)}`)
      return types[type] as Record<string, AnyAttr>
    },
  }
}

const bad = (message: string) => new TidingsError('bad_request', message)
