import { isTidingsError } from '@tidings/protocol'
import { parseRateLimit, type RateLimit } from '../http/rate-limit-option.js'

export const RATE_LIMIT_USAGE = `--rate-limit N/s|N/min|N/h|off (or TIDINGS_RATE_LIMIT): requests per user (its token), or
     per IP without one (default 100/s); past it 429 rate_limited with Retry-After.`

/**
 * `serve`'s `--rate-limit` (else `TIDINGS_RATE_LIMIT`): undefined keeps the default. A bad
 * value becomes the CLI's usage error (`usage`), not a server error.
 */
export const rateLimitFromFlag = (
  flag: string | boolean | undefined,
  env: Record<string, string | undefined>,
  usage: (message: string) => Error,
): RateLimit | false | undefined => {
  const text = typeof flag === 'string' ? flag : env.TIDINGS_RATE_LIMIT
  if (text === undefined) return undefined
  try {
    return parseRateLimit(text)
  } catch (error) {
    throw isTidingsError(error) ? usage(`--rate-limit: ${error.message}`) : error
  }
}
