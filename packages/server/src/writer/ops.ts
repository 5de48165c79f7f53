import {
  type CreateInput,
  checkCreate,
  checkPatch,
  type JsonValue,
  newId,
  type Patch,
  RESERVED,
  type Schema,
  type Shapes,
  schemaError,
  type Writes,
} from '@tidings/protocol'

/**
 * One write of a server-side writer, as `write()` and `POST /v1/spaces/:space/writes` take it.
 * Typed from the app's schema: `fields` is what the client's `create`/`update` take.
 */
export type WriteOp<S extends Shapes = Shapes> = {
  [T in keyof S & string]:
    | { op: 'create'; type: T; id?: string; fields: Omit<CreateInput<S[T]>, 'id'> }
    | { op: 'update'; type: T; id: string; fields: Patch<S[T]> }
    | { op: 'delete'; type: T; id: string }
}[keyof S & string]

/** A write checked against the schema: the entity and the attribute values it sets. */
export interface PlannedWrite {
  op: WriteOp['op']
  type: string
  id: string
  writes: Writes
}

/**
 * Checks every write before any is stamped, as the client checks its own: unknown types and
 * attributes, wrong values and missing required ones are `bad_request` with a schema reason
 * (`SCHEMA_REASONS`). Defaults are filled in and renamed attributes written under their
 * earlier names too, exactly as the app does. Without a schema (a server given none), only
 * the wire's rules hold: identifiers for names, JSON for values.
 */
export const planWrites = (schema: Schema | undefined, ops: readonly WriteOp[]): PlannedWrite[] =>
  ops.map((op) => planOne(schema, op))

const planOne = (schema: Schema | undefined, op: WriteOp): PlannedWrite => {
  const { type } = op
  switch (op.op) {
    case 'create': {
      const fields = { ...(op.fields as object), ...(op.id !== undefined && { id: op.id }) }
      const checked = schema ? checkCreate(schema, type, fields) : untypedCreate(type, fields)
      // An entity with no attribute set still needs one event to exist on other replicas.
      const writes: Writes = checked.writes.length > 0 ? checked.writes : [['deleted', false]]
      return { op: 'create', type, id: checked.id ?? newId(), writes }
    }
    case 'update': {
      const writes = schema ? checkPatch(schema, type, op.fields) : untypedPatch(type, op.fields)
      // Every write stamps at least one event: its answer names the HLC that wrote it.
      if (writes.length === 0)
        throw schemaError('bad_fields', type, `an update of ${type} needs at least one field`)
      return { op: 'update', type, id: checkedId(type, op.id), writes }
    }
    case 'delete':
      schema?.shape(type)
      return { op: 'delete', type, id: checkedId(type, op.id), writes: [['deleted', true]] }
    default:
      throw schemaError(
        'bad_fields',
        String(type),
        `unknown op ${JSON.stringify((op as { op: unknown }).op)}`,
      )
  }
}

/**
 * Writes as JSON carries them (`POST /v1/spaces/:space/writes`), as the app would give them:
 * ISO-8601 text for a date attribute becomes a `Date` (anything else is left for the schema
 * check to refuse as `wrong_value`).
 */
export const fromWire = (schema: Schema | undefined, ops: readonly WriteOp[]): WriteOp[] =>
  ops.map((op) => {
    if (!schema || op.op === 'delete' || !schema.has(op.type)) return op
    const shape = schema.shape(op.type)
    const fields: Record<string, unknown> = { ...(op.fields as Record<string, unknown>) }
    for (const [name, value] of Object.entries(fields)) {
      const isDate = Object.hasOwn(shape, name) && shape[name]?.kind === 'date'
      if (isDate && typeof value === 'string' && ISO_DATE.test(value))
        fields[name] = new Date(value)
    }
    return { ...op, fields } as WriteOp
  })

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/

const ENTITY_ID = /^[\x21-\x7e]{1,128}$/

const checkedId = (type: string, id: unknown): string => {
  if (typeof id === 'string' && ENTITY_ID.test(id)) return id
  throw schemaError('bad_id', `${type}.id`, `${type}.id must be 1-128 printable ASCII characters`)
}

const untypedCreate = (type: string, input: unknown): { id?: string; writes: Writes } => {
  const { id, ...fields } = asObject(type, input)
  const writes = untypedPatch(type, fields)
  return id === undefined ? { writes } : { id: checkedId(type, id), writes }
}

const untypedPatch = (type: string, input: unknown): Writes => {
  const fields = asObject(type, input)
  const writes: Writes = []
  for (const [name, value] of Object.entries(fields)) {
    if ((RESERVED as readonly string[]).includes(name))
      throw schemaError('unknown_attribute', `${type}.${name}`, `${type}.${name} is reserved`)
    if (value !== undefined) writes.push([name, value as JsonValue])
  }
  return writes
}

const asObject = (type: string, input: unknown): Record<string, unknown> => {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw schemaError('bad_fields', type, `${type} fields must be an object`)
  return input as Record<string, unknown>
}
