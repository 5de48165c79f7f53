import { TidingsError } from '@tidings/protocol'
import type { Kysely } from 'kysely'
import type { AnyAttr, Kind } from '../schema/attr.js'
import { toParam } from '../schema/codec.js'
import { SPACE, tableName } from '../store/typed.js'
import { fetchColumns } from './row-decoder.js'

/** Kysely over tables it cannot know statically: every table is `t_<type>` from the schema. */
type Loose = Record<string, Record<string, unknown>>

const OPERATORS = {
  eq: '=',
  ne: '<>',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
  in: 'in',
  like: 'like',
} as const
type Operator = keyof typeof OPERATORS

export interface RawQuery {
  where?: Record<string, unknown>
  orderBy?: Record<string, string> | Array<Record<string, string>>
  limit?: number
  offset?: number
  includeDeleted?: boolean
  space?: string | null
}

/**
 * Compiles a fetch request into one SQL statement over the typed table, with Kysely. Field
 * names are checked against the schema (they become column references), values are bound.
 * Results are ordered by the requested fields and then by `id`, so pages are stable. The row
 * has the columns of `fetchColumns`, in that order (what `rowDecoder` reads).
 */
export const compileFetch = (
  kysely: Kysely<unknown>,
  type: string,
  shape: Readonly<Record<string, AnyAttr>>,
  query: RawQuery = {},
): { sql: string; parameters: readonly unknown[] } => {
  const db = kysely as unknown as Kysely<Loose>
  let q = db.selectFrom(tableName(type)).select(fetchColumns(shape))
  const kindOf = (field: string): Kind | 'id' => {
    if (field === 'id') return 'id'
    const attr = shape[field]
    if (!attr) throw bad(`${type}.${field} is not in the schema`)
    return attr.kind
  }
  if (!query.includeDeleted) q = q.where('deleted', '=', 0)
  if (query.space === null) q = q.where(SPACE, 'is', null)
  else if (query.space !== undefined) {
    if (typeof query.space !== 'string') throw bad('space must be a space id or null')
    q = q.where(SPACE, '=', query.space)
  }
  for (const [field, condition] of Object.entries(query.where ?? {})) {
    if (condition === undefined) continue
    const kind = kindOf(field)
    const at = `where ${type}.${field}`
    if (!isOperatorObject(condition)) {
      const v = toParam(at, kind, condition)
      q = v === null ? q.where(field, 'is', null) : q.where(field, '=', v)
      continue
    }
    for (const [op, operand] of Object.entries(condition)) {
      if (!(op in OPERATORS)) throw bad(`${at}: unknown operator ${JSON.stringify(op)}`)
      if (operand === undefined) continue
      const name = op as Operator
      if (name === 'in') {
        if (!Array.isArray(operand)) throw bad(`${at}.in must be an array`)
        q = q.where(
          field,
          'in',
          operand.map((v) => toParam(at, kind, v)),
        )
      } else if (name === 'like') {
        if (typeof operand !== 'string') throw bad(`${at}.like must be a string pattern`)
        q = q.where(field, 'like', operand)
      } else {
        const v = toParam(at, kind, operand)
        if (v === null && (name === 'eq' || name === 'ne'))
          q = q.where(field, name === 'eq' ? 'is' : 'is not', null)
        else if (v === null) throw bad(`${at}.${name} cannot compare with null`)
        else q = q.where(field, OPERATORS[name], v)
      }
    }
  }
  const orders =
    query.orderBy === undefined
      ? []
      : Array.isArray(query.orderBy)
        ? query.orderBy
        : [query.orderBy]
  let byId = false
  for (const order of orders) {
    for (const [field, direction] of Object.entries(order)) {
      kindOf(field)
      if (direction !== 'asc' && direction !== 'desc')
        throw bad(`orderBy ${type}.${field} must be 'asc' or 'desc'`)
      q = q.orderBy(field, direction)
      if (field === 'id') byId = true
    }
  }
  if (!byId) q = q.orderBy('id', 'asc')
  if (query.limit !== undefined) {
    if (!Number.isInteger(query.limit) || query.limit < 0)
      throw bad('limit must be a non-negative integer')
    q = q.limit(query.limit)
  }
  if (query.offset !== undefined) {
    if (!Number.isInteger(query.offset) || query.offset < 0)
      throw bad('offset must be a non-negative integer')
    if (query.limit === undefined) q = q.limit(-1)
    q = q.offset(query.offset)
  }
  const compiled = q.compile()
  return { sql: compiled.sql, parameters: compiled.parameters }
}

const isOperatorObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' &&
  value !== null &&
  !(value instanceof Date) &&
  !Array.isArray(value) &&
  Object.getPrototypeOf(value) === Object.prototype

const bad = (message: string) => new TidingsError('bad_request', message)
