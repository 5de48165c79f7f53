import type { Shape, ValueOf } from '@tidings/protocol'

// The declaration's types live in the protocol, where the server's writer reads them too.
export type {
  CreateInput,
  Entity,
  Patch,
  Shape,
  Shapes,
  Versioned,
} from '@tidings/protocol'

/** Attribute names a query may filter or sort on: the declared ones plus `id`. */
export type Field<S extends Shape> = (keyof S & string) | 'id'
export type FieldValue<S extends Shape, K> = K extends 'id'
  ? string
  : K extends keyof S
    ? ValueOf<S[K]>
    : never

/** A filter on one field: a value (equality; `null` means unset) or operators, all ANDed. */
export type Condition<V> =
  | V
  | null
  | {
      eq?: V | null
      ne?: V | null
      gt?: V
      gte?: V
      lt?: V
      lte?: V
      in?: readonly V[]
      like?: string
    }

export type Where<S extends Shape> = { [K in Field<S>]?: Condition<FieldValue<S, K>> }
export type Direction = 'asc' | 'desc'
export type OrderBy<S extends Shape> =
  | { [K in Field<S>]?: Direction }
  | Array<{ [K in Field<S>]?: Direction }>

/** A fetch request, like Core Data's `NSFetchRequest`. */
export interface Query<S extends Shape> {
  where?: Where<S>
  orderBy?: OrderBy<S>
  limit?: number
  offset?: number
  /** Also return deleted entities (tombstoned); they are excluded by default. */
  includeDeleted?: boolean
  /** Only entities of this space: a shared space's id, or null for the private space. Default: every space. */
  space?: string | null
}
