import type { z } from 'zod'
import { TidingsError } from '../errors.js'

const MAX_REPORTED_ISSUES = 10

/**
 * Validates `data` against a wire schema, or throws a `TidingsError`: `too_large` when any
 * problem is about size, else `bad_request`, with the first issues (path and message) as details.
 */
export const parseWire = <S extends z.ZodType>(schema: S, data: unknown, what: string): z.infer<S> => {
  const result = schema.safeParse(data)
  if (result.success) return result.data
  const issues = result.error.issues
  const tooLarge = issues.some(
    (i) => i.code === 'too_big' || (i.code === 'custom' && (i.params as { tidings?: string } | undefined)?.tidings === 'too_large'),
  )
  const details = issues.slice(0, MAX_REPORTED_ISSUES).map((i) => ({ path: i.path.join('.'), message: i.message }))
  const first = details[0]
  const where = first && first.path ? ` at ${first.path}` : ''
  return failWith(tooLarge ? 'too_large' : 'bad_request', `invalid ${what}${where}: ${first?.message ?? 'rejected'}`, details)
}

function failWith(code: 'too_large' | 'bad_request', message: string, details: unknown): never {
  throw new TidingsError(code, message, { details })
}
