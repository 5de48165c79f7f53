import { z } from 'zod'
import { DEFAULT_LIMITS, type Limits } from '../limits.js'
import { eventSchema, type UnknownFields, withUnknown } from './event.js'
import { hlc, uuid } from './fields.js'

/**
 * The unit of sync and of atomicity: the events of one local transaction. Its `hlc` is the
 * greatest HLC among its events, so a bundle never claims to be older than what it carries.
 */
export const bundleSchema = (
  limits: Pick<Limits, 'maxValueBytes' | 'maxEventsPerBundle'> = DEFAULT_LIMITS,
  unknown: UnknownFields = 'strict',
) =>
  withUnknown(
    {
      id: uuid,
      client: uuid,
      hlc,
      /** The space the bundle belongs to; absent: the sender's private space (DESIGN §8). */
      space: uuid.optional(),
      events: z.array(eventSchema(limits, unknown)).min(1).max(limits.maxEventsPerBundle),
    },
    unknown,
  ).superRefine((bundle, ctx) => {
    const ids = new Set<string>()
    let latest = ''
    bundle.events.forEach((event, i) => {
      if (event.client !== bundle.client)
        ctx.addIssue({
          code: 'custom',
          path: ['events', i, 'client'],
          message: 'event client differs from bundle client',
        })
      if (ids.has(event.id))
        ctx.addIssue({
          code: 'custom',
          path: ['events', i, 'id'],
          message: 'event id repeated in bundle',
        })
      ids.add(event.id)
      if (event.hlc > latest) latest = event.hlc
    })
    if (latest !== '' && bundle.hlc !== latest)
      ctx.addIssue({
        code: 'custom',
        path: ['hlc'],
        message: 'bundle hlc must equal its greatest event hlc',
      })
  })

export type Bundle = z.infer<ReturnType<typeof bundleSchema>>
