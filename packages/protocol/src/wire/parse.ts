import type { z } from 'zod'
import { TidingsError } from '../errors.js'

const MAX_REPORTED_ISSUES = 10

/**
 * Validates `data` against a wire schema, or throws a `TidingsError`: `too_large` when any
 * problem is about size, else `bad_request`, with the first issues (path and message) as details.
 */
export const parseWire = <S extends z.ZodType>(
  schema: S,
  data: unknown,
  what: string,
): z.infer<S> => {
  const result = schema.safeParse(data)
  if (result.success) return result.data
  const issues = result.error.issues
  const details = issues.flatMap(describe).slice(0, MAX_REPORTED_ISSUES)
  const first = details[0]
  const where = first?.path ? ` at ${first.path}` : ''
  const code = issues.some(isSizeIssue) ? 'too_large' : 'bad_request'
  return failWith(code, `invalid ${what}${where}: ${first?.message ?? 'rejected'}`, details)
}

/**
 * `too_large` (413) tells a client to send less: too many events, bundles or ids, or a value
 * over `maxValueBytes`. A string or number over its format's bound (a 10 MB "uuid", a page
 * limit of 5000) is malformed, not big, so it stays `bad_request`.
 */
const isSizeIssue = (issue: z.core.$ZodIssue): boolean =>
  (issue.code === 'too_big' && issue.origin === 'array') ||
  (issue.code === 'custom' &&
    (issue.params as { tidings?: string } | undefined)?.tidings === 'too_large')

/** One detail per problem; an unknown key is reported at its own path, not its object's. */
const describe = (issue: z.core.$ZodIssue): Array<{ path: string; message: string }> => {
  const path = issue.path.map(String)
  if (issue.code === 'unrecognized_keys')
    return issue.keys.map((key) => ({
      path: [...path, key].join('.'),
      message: `unknown field ${JSON.stringify(key)}`,
    }))
  return [{ path: path.join('.'), message: issue.message }]
}

function failWith(code: 'too_large' | 'bad_request', message: string, details: unknown): never {
  throw new TidingsError(code, message, { details })
}
