import {
  type AnyAttr,
  encodeValue,
  type JsonValue,
  type Kind,
  TidingsError,
} from '@tidings/protocol'

export { encodeValue }

/**
 * The typed-table column value for a register value. A value of the wrong kind (an event from
 * an app version with another schema) becomes NULL: deterministic, so replicas still agree.
 */
export const toColumn = (kind: Kind, value: JsonValue): unknown => {
  if (value === null) return null
  switch (kind) {
    case 'string':
    case 'ref':
    case 'date':
      return typeof value === 'string' ? value : null
    case 'number':
      return typeof value === 'number' ? value : null
    case 'boolean':
      return typeof value === 'boolean' ? (value ? 1 : 0) : null
    case 'json':
      return JSON.stringify(value)
  }
}

/** A column value read back as the app sees it (`Date` for dates, parsed JSON). */
export const fromColumn = (kind: Kind, value: unknown): unknown => {
  if (value === null || value === undefined) return undefined
  switch (kind) {
    case 'boolean':
      return value === 1 || value === 1n
    case 'date':
      return new Date(value as string)
    case 'json':
      return JSON.parse(value as string)
    default:
      return value
  }
}

/** A query operand as a bindable SQLite value (dates as ISO text, booleans as 0/1). */
export const toParam = (where: string, kind: Kind | 'id', value: unknown): unknown => {
  if (value === null) return null
  if (kind === 'id') {
    if (typeof value === 'string') return value
    throw bad(`${where} must be a string id, got ${describe(value)}`)
  }
  if (kind === 'json') return JSON.stringify(value)
  const encoded = encodeValue(where, { kind, spec: { optional: true } } as AnyAttr, value)
  return toColumn(kind, encoded)
}

/** The SQLite column type of a kind. */
export const columnType = (kind: Kind): string =>
  kind === 'number' ? 'REAL' : kind === 'boolean' ? 'INTEGER' : 'TEXT'

const describe = (value: unknown): string =>
  value instanceof Date ? 'an invalid Date' : Array.isArray(value) ? 'an array' : typeof value

const bad = (message: string) => new TidingsError('bad_request', message)
