import type { AnyAttr, Attr, Kind } from './attr.js'

/** The attributes of one entity type, as declared. */
export type Shape = Record<string, AnyAttr>
/** All entity types of a schema, as declared. */
export type Shapes = Record<string, Shape>

type Simplify<T> = { [K in keyof T]: T[K] } & {}

/** The value type an attribute declares. */
export type ValueOf<A> = A extends Attr<infer T, boolean, boolean, Kind, boolean> ? T : never
type IsOptional<A> = A extends Attr<unknown, true, boolean, Kind, boolean> ? true : false
type HasDefault<A> = A extends Attr<unknown, boolean, true, Kind, boolean> ? true : false
type MayBeUnreadable<A> = A extends Attr<unknown, boolean, boolean, Kind, true> ? true : false
/**
 * Whether a read may lack the attribute: optional, or possibly holding a value this app version
 * cannot read (a versioned schema; a conversion) and without a default to show instead.
 */
type ReadsAbsent<A> =
  IsOptional<A> extends true
    ? true
    : MayBeUnreadable<A> extends true
      ? HasDefault<A> extends true
        ? false
        : true
      : false
type ReadRequiredKeys<S extends Shape> = {
  [K in keyof S]: ReadsAbsent<S[K]> extends true ? never : K
}[keyof S]

type RequiredKeys<S extends Shape> = {
  [K in keyof S]: IsOptional<S[K]> extends true ? never : K
}[keyof S]
type OptionalKeys<S extends Shape> = Exclude<keyof S, RequiredKeys<S>>
type CreateRequiredKeys<S extends Shape> = {
  [K in keyof S]: IsOptional<S[K]> extends true ? never : HasDefault<S[K]> extends true ? never : K
}[keyof S]

/**
 * An object as `get`/`fetch` return it: `id`, its `space` (null: the user's private space; else
 * the shared space's id, fixed at creation) plus every attribute (optional ones may be absent;
 * in a versioned schema, so may any without a default: another version's value this one
 * cannot read is never shown as a value, see `unreadable()`).
 */
export type Entity<S extends Shape> = Simplify<
  { id: string; space: string | null } & { [K in ReadRequiredKeys<S>]: ValueOf<S[K]> } & {
    [K in Exclude<keyof S, ReadRequiredKeys<S>>]?: ValueOf<S[K]>
  }
>

/** The attributes of a versioned schema: each may hold a value this version cannot read. */
export type Versioned<S extends Shapes> = {
  [T in keyof S]: {
    [A in keyof S[T]]: S[T][A] extends Attr<
      infer V,
      infer O extends boolean,
      infer D extends boolean,
      infer K extends Kind,
      boolean
    >
      ? Attr<V, O, D, K, true>
      : S[T][A]
  }
}

/** What `create` takes: required attributes without a default must be given; `id` may be chosen. */
export type CreateInput<S extends Shape> = Simplify<
  { id?: string } & { [K in CreateRequiredKeys<S>]: ValueOf<S[K]> } & {
    [K in Exclude<keyof S, CreateRequiredKeys<S>>]?: ValueOf<S[K]>
  }
>

/** What `update` takes: any subset; `null` clears an optional attribute. */
export type Patch<S extends Shape> = Simplify<
  { [K in RequiredKeys<S>]?: ValueOf<S[K]> } & { [K in OptionalKeys<S>]?: ValueOf<S[K]> | null }
>
