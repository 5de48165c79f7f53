import { z } from 'zod'
import { isHlc } from '../hlc.js'
import { DEFAULT_LIMITS, type Limits } from '../limits.js'
import { entityId, hlc, hlcNode, jsonValue, name, uuid } from './fields.js'

/** One immutable write: sets `attribute` of `entity` (of `type`) to `value` at `hlc`. */
export const eventSchema = (limits: Pick<Limits, 'maxValueBytes'> = DEFAULT_LIMITS) =>
  z
    .strictObject({
      id: uuid,
      type: name,
      entity: entityId,
      attribute: name,
      value: jsonValue(limits.maxValueBytes),
      hlc,
      client: uuid,
    })
    .superRefine((event, ctx) => {
      // A malformed hlc already has its own issue; parsing it here would throw out of zod.
      if (isHlc(event.hlc) && hlcNode(event.hlc) !== event.client)
        ctx.addIssue({
          code: 'custom',
          path: ['hlc'],
          message: 'HLC was not issued by the event client',
        })
    })

export type Event = z.infer<ReturnType<typeof eventSchema>>
