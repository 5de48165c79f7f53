import type { JsonValue } from '../json.js'
import type { AnyAttr } from './attr.js'
import type { Schema } from './define.js'
import { encodeValue } from './encode.js'
import { schemaError } from './reasons.js'

/** Attribute writes an operation produces, in declaration order: `[attribute, event value]`. */
export type Writes = Array<[string, JsonValue]>

const ENTITY_ID = /^[\x21-\x7e]{1,128}$/

/**
 * Validates `create` input before anything is written: unknown type or field, wrong kinds and
 * missing required attributes are `bad_request` naming the field. Defaults are filled in;
 * absent optional attributes produce no write. A renamed attribute is written under each of
 * its earlier names too, so devices still on an earlier app version see the value.
 */
export const checkCreate = (
  schema: Schema,
  type: string,
  input: unknown,
): { id?: string; writes: Writes } => {
  const shape = schema.shape(type)
  const fields = asObject(type, input)
  const create = createCheckOf(schema, type, shape)
  for (const name in fields) {
    if (name !== 'id' && Object.hasOwn(fields, name) && !Object.hasOwn(shape, name))
      throw schemaError(
        'unknown_attribute',
        `${type}.${name}`,
        `${type}.${name} is not in the schema`,
      )
  }
  const writes: Writes = []
  for (const { name, attr, where, defaultValue, earlier } of create) {
    // Own properties only: an attribute named like an `Object.prototype` member is not given.
    let value = Object.hasOwn(fields, name) ? fields[name] : undefined
    if (value === undefined) value = defaultValue
    if (value === undefined) {
      if (attr.spec.optional) continue
      throw schemaError('missing_attribute', where, `${where} is required`)
    }
    // Strings are most values: checked inline, without the general encoder's call.
    const encoded =
      typeof value === 'string' && (attr.kind === 'string' || attr.kind === 'ref')
        ? value
        : encodeValue(where, attr, value)
    if (encoded === null) continue
    writes.push([name, encoded])
    if (earlier) for (const old of earlier) writes.push([old, encoded])
  }
  const id = fields.id
  if (id === undefined) return { writes }
  if (typeof id !== 'string' || !ENTITY_ID.test(id))
    throw schemaError('bad_id', `${type}.id`, `${type}.id must be 1-128 printable ASCII characters`)
  return { id, writes }
}

/** One attribute as `create` checks it, worked out once per shape instead of once per call. */
interface CreateField {
  name: string
  attr: AnyAttr
  /** `type.name`, for error messages. */
  where: string
  /** What an omitted value becomes (`undefined`: none). */
  defaultValue: unknown
  /** The attribute's earlier names (`renamedFrom`), also written; undefined when none. */
  earlier: readonly string[] | undefined
}

const createChecks = new WeakMap<Schema, Map<string, CreateField[]>>()

const createCheckOf = (
  schema: Schema,
  type: string,
  shape: Readonly<Record<string, AnyAttr>>,
): CreateField[] => {
  let types = createChecks.get(schema)
  if (!types) {
    types = new Map()
    createChecks.set(schema, types)
  }
  let fields = types.get(type)
  if (!fields) {
    fields = Object.entries(shape).map(([name, attr]) => ({
      name,
      attr,
      where: `${type}.${name}`,
      defaultValue: attr.spec.hasDefault ? attr.spec.defaultValue : undefined,
      earlier: attr.spec.renamedFrom?.length ? attr.spec.renamedFrom : undefined,
    }))
    types.set(type, fields)
  }
  return fields
}

/**
 * Validates an `update` patch: only declared attributes; `null` clears optional ones. A renamed
 * attribute is written under its earlier names too (see `checkCreate`).
 */
export const checkPatch = (schema: Schema, type: string, input: unknown): Writes => {
  const shape = schema.shape(type)
  const fields = asObject(type, input)
  if ('id' in fields) throw schemaError('bad_id', `${type}.id`, `${type}.id cannot be changed`)
  rejectUnknown(type, shape, fields)
  const writes: Writes = []
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue
    const attr = shape[name]!
    const encoded = encodeValue(`${type}.${name}`, attr, value)
    writes.push([name, encoded])
    for (const old of attr.spec.renamedFrom ?? []) writes.push([old, encoded])
  }
  return writes
}

const asObject = (type: string, input: unknown): Record<string, unknown> => {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw schemaError('bad_fields', type, `${type} fields must be an object`)
  return input as Record<string, unknown>
}

const rejectUnknown = (
  type: string,
  shape: Record<string, unknown>,
  fields: Record<string, unknown>,
) => {
  for (const name of Object.keys(fields)) {
    if (!Object.hasOwn(shape, name))
      throw schemaError(
        'unknown_attribute',
        `${type}.${name}`,
        `${type}.${name} is not in the schema`,
      )
  }
}
