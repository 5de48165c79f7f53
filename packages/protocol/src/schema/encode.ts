import { type JsonValue, jsonProblem } from '../json.js'
import { MAX_VALUE_DEPTH } from '../limits.js'
import type { AnyAttr } from './attr.js'
import { schemaError } from './reasons.js'

/**
 * Checks a value given by the app for `where` (`type.name`) and turns it into the event value
 * (JSON). Dates become ISO-8601 UTC text. Throws `bad_request` (`wrong_value`) naming the field.
 */
export const encodeValue = (where: string, attr: AnyAttr, value: unknown): JsonValue => {
  if (value === null) {
    if (attr.spec.optional) return null
    throw wrong(where, `${where} is required and cannot be null`)
  }
  switch (attr.kind) {
    case 'string':
    case 'ref':
      if (typeof value === 'string') return value
      throw wrong(where, `${where} must be a string, got ${describe(value)}`)
    case 'number':
      if (typeof value === 'number' && Number.isFinite(value)) return value
      throw wrong(where, `${where} must be a finite number, got ${describe(value)}`)
    case 'boolean':
      if (typeof value === 'boolean') return value
      throw wrong(where, `${where} must be a boolean, got ${describe(value)}`)
    case 'date':
      if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString()
      throw wrong(where, `${where} must be a valid Date, got ${describe(value)}`)
    case 'json': {
      const problem = jsonProblem(value, MAX_VALUE_DEPTH)
      if (problem === null) return value as JsonValue
      throw wrong(where, `${where} must be JSON: ${problem}`)
    }
  }
}

const describe = (value: unknown): string =>
  value instanceof Date ? 'an invalid Date' : Array.isArray(value) ? 'an array' : typeof value

const wrong = (where: string, message: string) => schemaError('wrong_value', where, message)
