import type { JsonValue } from '@tidings/protocol'
import type { SqlRow } from '../driver/sqlite.js'
import type { AnyAttr } from '../schema/attr.js'
import { fromColumn, toColumn } from '../schema/codec.js'

type ShapeOf = Readonly<Record<string, AnyAttr>>

/**
 * A typed row as the app sees it: `id` and every declared attribute, decoded. A missing value
 * reads as the attribute's default, else is absent (optional) or `null` (a required attribute
 * whose event has not arrived — possible only with partial remote data).
 */
export const rowToObject = (shape: ShapeOf, row: SqlRow): Record<string, unknown> => {
  const out: Record<string, unknown> = { id: row.id }
  for (const [name, attr] of Object.entries(shape)) {
    const value = fromColumn(attr.kind, row[name])
    if (value !== undefined) out[name] = value
    else if (attr.spec.hasDefault) out[name] = attr.spec.defaultValue
    else if (!attr.spec.optional) out[name] = null
  }
  return out
}

/** Applies event values to an object the way the typed table would, so reads agree with writes. */
export const applyWrites = (
  shape: ShapeOf,
  target: Record<string, unknown>,
  writes: ReadonlyArray<readonly [string, JsonValue]>,
): Record<string, unknown> => {
  for (const [name, value] of writes) {
    const attr = shape[name]
    if (!attr) continue
    const decoded = fromColumn(attr.kind, toColumn(attr.kind, value))
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
