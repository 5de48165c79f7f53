import { z } from 'zod'
import { isHlc, parseHlc } from '../hlc.js'
import { UUID_PATTERN } from '../ids.js'
import { type JsonValue, jsonBytes, jsonProblem } from '../json.js'
import { MAX_VALUE_DEPTH } from '../limits.js'

/** Marks an issue that is about size, so it maps to `too_large` rather than `bad_request`. */
export const TOO_LARGE = { tidings: 'too_large' } as const

export const uuid = z.string().max(36).regex(UUID_PATTERN, 'must be a lowercase UUID')

/** Type and attribute names double as SQL column and table names, so they stay identifiers. */
export const name = z
  .string()
  .max(64)
  .regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must be an identifier: a letter, then letters, digits or _')

export const entityId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')

export const hlc = z
  .string()
  .max(120)
  .refine(isHlc, 'must be an HLC like 2026-11-26T04:46:02.123Z-0001-<client>')
  .meta({
    description: 'Hybrid logical clock, sorts bytewise',
    example: '2026-11-26T04:46:02.123Z-0001-0193...',
  })

export const cursor = z
  .string()
  .max(64)
  .regex(/^[0-9A-Za-z_.:-]*$/, 'must be a cursor the server gave out')
  .meta({ description: 'Opaque position in the stream; empty or null means the beginning' })

export const jsonValue = (maxValueBytes: number) =>
  z
    .custom<JsonValue>((v) => v !== undefined, 'value is required')
    .superRefine((v, ctx) => {
      const problem = jsonProblem(v, MAX_VALUE_DEPTH)
      if (problem) ctx.addIssue({ code: 'custom', message: `value is not storable: ${problem}` })
      else if (jsonBytes(v) > maxValueBytes)
        ctx.addIssue({
          code: 'custom',
          message: `value is larger than ${maxValueBytes} bytes`,
          params: TOO_LARGE,
        })
    })
    .meta({ description: 'Any JSON value (null clears the attribute)' })

/** The node id inside an HLC; the event's client must have issued it. */
export const hlcNode = (text: string): string => parseHlc(text).node
