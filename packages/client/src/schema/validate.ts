import { type JsonValue, TidingsError } from '@tidings/protocol'
import { encodeValue } from './codec.js'
import type { Schema } from './define.js'

/** Attribute writes an operation produces, in declaration order: `[attribute, event value]`. */
export type Writes = Array<[string, JsonValue]>

const ENTITY_ID = /^[\x21-\x7e]{1,128}$/

/**
 * Validates `create` input before anything is written: unknown type or field, wrong kinds and
 * missing required attributes are `bad_request` naming the field. Defaults are filled in;
 * absent optional attributes produce no write.
 */
export const checkCreate = (
  schema: Schema,
  type: string,
  input: unknown,
): { id?: string; writes: Writes } => {
  const shape = schema.shape(type)
  const fields = asObject(type, input)
  const { id, ...rest } = fields
  rejectUnknown(type, shape, rest)
  const writes: Writes = []
  for (const [name, attr] of Object.entries(shape)) {
    let value = rest[name]
    if (value === undefined && attr.spec.hasDefault) value = attr.spec.defaultValue
    if (value === undefined) {
      if (attr.spec.optional) continue
      throw bad(`${type}.${name} is required`)
    }
    const encoded = encodeValue(`${type}.${name}`, attr, value)
    if (encoded !== null) writes.push([name, encoded])
  }
  if (id === undefined) return { writes }
  if (typeof id !== 'string' || !ENTITY_ID.test(id))
    throw bad(`${type}.id must be 1-128 printable ASCII characters`)
  return { id, writes }
}

/** Validates an `update` patch: only declared attributes; `null` clears optional ones. */
export const checkPatch = (schema: Schema, type: string, input: unknown): Writes => {
  const shape = schema.shape(type)
  const fields = asObject(type, input)
  if ('id' in fields) throw bad(`${type}.id cannot be changed`)
  rejectUnknown(type, shape, fields)
  const writes: Writes = []
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue
    const attr = shape[name]!
    writes.push([name, encodeValue(`${type}.${name}`, attr, value)])
  }
  return writes
}

const asObject = (type: string, input: unknown): Record<string, unknown> => {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw bad(`${type} fields must be an object`)
  return input as Record<string, unknown>
}

const rejectUnknown = (
  type: string,
  shape: Record<string, unknown>,
  fields: Record<string, unknown>,
) => {
  for (const name of Object.keys(fields)) {
    if (!Object.hasOwn(shape, name)) throw bad(`${type}.${name} is not in the schema`)
  }
}

const bad = (message: string) => new TidingsError('bad_request', message)
