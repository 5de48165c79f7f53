import type { JsonValue } from '@tidings/protocol'
import type { SqlRow } from '../driver/sqlite.js'
import type { AnyAttr } from '../schema/attr.js'
import { fromColumn, toColumn } from '../schema/codec.js'

type ShapeOf = Readonly<Record<string, AnyAttr>>

/**
 * A typed row as the app sees it: `id`, its `space` (null: the private space) and every
 * declared attribute, decoded. A missing (or unreadable) value reads as the attribute's default,
 * else is absent (optional, or in a versioned schema) or `null` (a required attribute of an
 * unversioned schema whose event has not arrived, or that this app cannot read).
 */
export const rowToObject = (shape: ShapeOf, row: SqlRow): Record<string, unknown> =>
  decoderOf(shape)(row)

/** One attribute's decoding, worked out once per shape instead of once per row. */
export interface Column {
  name: string
  kind: AnyAttr['kind']
  /** The value a missing column reads as; `undefined` leaves the field out. */
  missing: unknown
}

const decoders = new WeakMap<ShapeOf, (row: SqlRow) => Record<string, unknown>>()

/** The decoding of each attribute of `shape`, in schema order. */
export const columnsOf = (shape: ShapeOf): Column[] =>
  Object.entries(shape).map(([name, attr]) => ({
    name,
    kind: attr.kind,
    missing: attr.spec.hasDefault ? attr.spec.defaultValue : readsAbsent(attr) ? undefined : null,
  }))

/**
 * Whether a missing value leaves the field out rather than `null`: optional attributes, and
 * those whose type says a read may lack them (a versioned schema's, or one with conversions:
 * a value this version cannot read is never shown as null where a value is promised).
 */
const readsAbsent = (attr: AnyAttr): boolean =>
  attr.spec.optional ||
  attr.spec.mayBeUnreadable === true ||
  (attr.spec.conversions?.length ?? 0) > 0

/**
 * The row decoder of a shape, built once: fetching 30,000 rows calls it 30,000 times, and
 * walking the shape's entries and specs for every row cost more than reading the rows.
 */
const decoderOf = (shape: ShapeOf): ((row: SqlRow) => Record<string, unknown>) => {
  let decode = decoders.get(shape)
  if (decode) return decode
  const columns = columnsOf(shape)
  decode = (row) => {
    const out: Record<string, unknown> = { id: row.id, space: row.space ?? null }
    for (const { name, kind, missing } of columns) {
      const raw = row[name]
      const value =
        raw === null || raw === undefined
          ? undefined
          : kind === 'string' || kind === 'ref' || kind === 'number'
            ? raw
            : fromColumn(kind, raw)
      if (value !== undefined) out[name] = value
      else if (missing !== undefined) out[name] = missing
    }
    return out
  }
  decoders.set(shape, decode)
  return decode
}

/** Applies event values to an object the way the typed table would, so reads agree with writes. */
export const applyWrites = (
  shape: ShapeOf,
  target: Record<string, unknown>,
  writes: ReadonlyArray<readonly [string, JsonValue]>,
): Record<string, unknown> => {
  for (let i = 0; i < writes.length; i++) {
    const [name, value] = writes[i]!
    const attr = shape[name]
    if (!attr) continue
    // A string of a string kind reads back as itself (the common case, without two calls).
    const decoded =
      typeof value === 'string' && (attr.kind === 'string' || attr.kind === 'ref')
        ? value
        : fromColumn(attr.kind, toColumn(attr.kind, value))
    if (decoded === undefined) delete target[name]
    else target[name] = decoded
  }
  return target
}

/** Shallow equality of raw result rows, to skip observer callbacks that would change nothing. */
export const sameRows = (a: readonly SqlRow[] | undefined, b: readonly SqlRow[]): boolean => {
  if (!a || a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!
    const y = b[i]!
    const keys = Object.keys(y)
    if (Object.keys(x).length !== keys.length) return false
    for (const key of keys) if (x[key] !== y[key]) return false
  }
  return true
}
