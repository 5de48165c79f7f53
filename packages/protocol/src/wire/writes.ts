import { z } from 'zod'
import { DEFAULT_LIMITS, type Limits } from '../limits.js'
import { entityId, hlc, jsonValue, name, uuid } from './fields.js'

const fieldsOf = (limits: Pick<Limits, 'maxValueBytes'>) =>
  z.record(name, jsonValue(limits.maxValueBytes)).meta({
    description:
      'Attribute values as JSON, named as in the app’s schema; dates as ISO-8601 text; null clears an optional attribute',
  })

/**
 * One write of `POST /v1/spaces/:space/writes`: what a server-side writer's `write()` takes,
 * for a backend in another language. A create may choose its entity id; an update or delete
 * names one.
 */
export const writeOpSchema = (limits: Pick<Limits, 'maxValueBytes'> = DEFAULT_LIMITS) =>
  z.discriminatedUnion('op', [
    z.strictObject({
      op: z.literal('create'),
      type: name,
      id: entityId.optional(),
      fields: fieldsOf(limits),
    }),
    z.strictObject({ op: z.literal('update'), type: name, id: entityId, fields: fieldsOf(limits) }),
    z.strictObject({ op: z.literal('delete'), type: name, id: entityId }),
  ])

/** One write done: the entity written and the greatest HLC of its events. */
export const writtenSchema = z.object({
  op: z.enum(['create', 'update', 'delete']),
  type: name,
  id: entityId,
  hlc,
})

/** Request and answer of `POST /v1/spaces/:space/writes` (one bundle: all or nothing). */
export const writesSchemas = (
  limits: Pick<Limits, 'maxValueBytes' | 'maxEventsPerBundle'> = DEFAULT_LIMITS,
) => ({
  writesRequest: z.strictObject({
    writes: z.array(writeOpSchema(limits)).min(1).max(limits.maxEventsPerBundle),
  }),
  writesResponse: z.object({
    bundle: uuid.meta({ description: 'The bundle that carries the writes' }),
    space: uuid,
    hlc,
    writes: z.array(writtenSchema),
  }),
})

export type WritesSchemas = ReturnType<typeof writesSchemas>
export type WriteOpWire = z.infer<ReturnType<typeof writeOpSchema>>
export type WritesRequest = z.infer<WritesSchemas['writesRequest']>
export type WritesResponse = z.infer<WritesSchemas['writesResponse']>
