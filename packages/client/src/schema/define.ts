import { TidingsError } from '@tidings/protocol'
import type { AnyAttr } from './attr.js'
import type { Shape, Shapes } from './types.js'

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
}

/** A checked schema; `types` keeps the declaration so TypeScript can infer every object type. */
export interface Schema<S extends Shapes = Shapes> {
  readonly types: S
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
export const defineSchema = <const S extends Shapes>(
  types: S,
  options: SchemaOptions<S> = {},
): Schema<S> => {
  for (const [type, shape] of Object.entries(types)) {
    if (!IDENTIFIER.test(type)) throw bad(`type name ${JSON.stringify(type)} is not an identifier`)
    for (const [name, attr] of Object.entries(shape)) {
      if (!IDENTIFIER.test(name)) throw bad(`${type}.${name} is not an identifier`)
      if ((RESERVED as readonly string[]).includes(name)) throw bad(`${type}.${name} is reserved`)
      const target = attr.spec.target
      if (target !== undefined && !Object.hasOwn(types, target))
        throw bad(`${type}.${name} refers to unknown type ${JSON.stringify(target)}`)
    }
  }
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
    indexes: (type) => indexes[type] ?? [],
    has: (type) => Object.hasOwn(types, type),
    shape: (type) => {
      if (!Object.hasOwn(types, type)) throw bad(`unknown type ${JSON.stringify(type)}`)
      return types[type] as Record<string, AnyAttr>
    },
  }
}

const bad = (message: string) => new TidingsError('bad_request', message)
