import { z } from 'zod'
import { isHlc } from '../hlc.js'
import { DEFAULT_LIMITS, type Limits } from '../limits.js'
import { entityId, hlc, hlcNode, jsonValue, name, uuid } from './fields.js'

/**
 * What a schema does with a field it does not know: requests refuse it (`strict`, the server
 * must not store what it cannot check), answers drop it (`strip`: DESIGN.md §6, an older client
 * keeps working against a newer server).
 */
export type UnknownFields = 'strict' | 'strip'

/** One immutable write: sets `attribute` of `entity` (of `type`) to `value` at `hlc`. */
export const eventSchema = (
  limits: Pick<Limits, 'maxValueBytes'> = DEFAULT_LIMITS,
  unknown: UnknownFields = 'strict',
) =>
  withUnknown(
    {
      id: uuid,
      type: name,
      entity: entityId,
      attribute: name,
      value: jsonValue(limits.maxValueBytes),
      hlc,
      client: uuid,
    },
    unknown,
  ).superRefine((event, ctx) => {
    // A malformed hlc already has its own issue; parsing it here would throw out of zod.
    if (isHlc(event.hlc) && hlcNode(event.hlc) !== event.client)
      ctx.addIssue({
        code: 'custom',
        path: ['hlc'],
        message: 'HLC was not issued by the event client',
      })
  })

/**
 * An object schema that refuses (`strict`) or drops (`strip`) unknown fields. Both parse to the
 * same output type, so the strip variant is typed as the strict one: callers get one schema type.
 */
export const withUnknown = <S extends z.core.$ZodLooseShape>(shape: S, unknown: UnknownFields) =>
  unknown === 'strict'
    ? z.strictObject(shape)
    : (z.object(shape) as unknown as z.ZodObject<S, z.core.$strict>)

export type Event = z.infer<ReturnType<typeof eventSchema>>
