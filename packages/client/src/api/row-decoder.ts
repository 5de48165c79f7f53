import type { AnyAttr, Kind } from '../schema/attr.js'
import { fromColumn } from '../schema/codec.js'
import { SPACE } from '../store/typed.js'
import { type Column, columnsOf } from './objects.js'

type ShapeOf = Readonly<Record<string, AnyAttr>>

/** A fetched row as SQLite values in `fetchColumns` order, to the object the app sees. */
export type RowDecoder = (row: readonly unknown[]) => Record<string, unknown>

/**
 * The columns a fetch selects, in order: `id`, every attribute the schema declares, then the
 * entity's `space`. Columns the schema does not know (kept for a later app version) and
 * `deleted` stay unread.
 */
export const fetchColumns = (shape: ShapeOf): string[] => ['id', ...Object.keys(shape), SPACE]

const decoders = new WeakMap<ShapeOf, RowDecoder>()

/**
 * The decoder of a shape's rows, built once. It gives exactly what `rowToObject` gives for the
 * same row (keys in schema order, `Date`s, booleans, parsed JSON, defaults, absent optionals),
 * but reads positional rows: a driver returns those without building a keyed object per row.
 */
export const rowDecoder = (shape: ShapeOf): RowDecoder => {
  let decode = decoders.get(shape)
  if (decode) return decode
  const columns = columnsOf(shape)
  decode = compiled(columns) ?? generic(columns)
  decoders.set(shape, decode)
  return decode
}

/** Decodes `rows` in place (the array is reused, no second array of 30,000 slots). */
export const decodeRows = (shape: ShapeOf, rows: unknown[][]): Record<string, unknown>[] => {
  const decode = rowDecoder(shape)
  const out = rows as unknown[]
  for (let i = 0; i < rows.length; i++) out[i] = decode(rows[i] as unknown[])
  return out as Record<string, unknown>[]
}

/** The reference decoder: a loop over the columns, adding each field that has a value. */
const generic =
  (columns: readonly Column[]): RowDecoder =>
  (row) => {
    const out: Record<string, unknown> = { id: row[0], space: row[columns.length + 1] ?? null }
    for (let i = 0; i < columns.length; i++) {
      const { name, kind, missing } = columns[i]!
      const value = fromColumn(kind, row[i + 1])
      if (value !== undefined) out[name] = value
      else if (missing !== undefined) out[name] = missing
    }
    return out
  }

/**
 * The same decoding as one object literal per row, generated once per shape: every row then
 * gets one allocation of one fixed hidden class, which is what makes a 30,000-row fetch cheap.
 * A row whose optional field is absent has fewer keys, so it takes the generic path. Attribute
 * names are checked identifiers; they are still quoted as JSON. Returns null where the page's
 * Content-Security-Policy forbids generating code (the generic decoder then serves).
 */
const compiled = (columns: readonly Column[]): RowDecoder | null => {
  const reads: string[] = []
  const present: string[] = []
  const fields = ['id: r[0]', `space: r[${columns.length + 1}] ?? null`]
  columns.forEach(({ name, kind, missing }, i) => {
    const v = `v${i}`
    reads.push(`const ${v} = r[${i + 1}];`)
    if (missing === undefined) present.push(`${v} != null`)
    fields.push(`${JSON.stringify(name)}: ${v} == null ? m[${i}] : ${decodeExpression(kind, v)}`)
  })
  const body = `return function decodeRow(r) {
  ${reads.join('\n  ')}
  if (${present.join(' && ') || 'true'}) return { ${fields.join(', ')} };
  return generic(r);
}`
  try {
    return new Function('m', 'generic', body)(
      columns.map((c) => c.missing),
      generic(columns),
    ) as RowDecoder
  } catch (error) {
    if (error instanceof EvalError) return null
    throw error
  }
}

/** `fromColumn` of a non-null value of `kind`, as a JavaScript expression over `v`. */
const decodeExpression = (kind: Kind, v: string): string => {
  switch (kind) {
    case 'boolean':
      return `(${v} === 1 || ${v} === 1n)`
    case 'date':
      return `new Date(${v})`
    case 'json':
      return `JSON.parse(${v})`
    default:
      return v
  }
}
