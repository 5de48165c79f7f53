import { TidingsError } from '@tidings/protocol'

/** At most `max` requests per `windowMs` for each token (or, without one, each IP address). */
export interface RateLimit {
  max: number
  windowMs: number
}

/**
 * Generous: one user's hundred devices syncing at once, and the benchmarks, stay far below it
 * (a node serves a few thousand requests per second in all). It stops runaway loops and
 * floods, not normal use.
 */
export const DEFAULT_RATE_LIMIT: RateLimit = { max: 10_000, windowMs: 1_000 }

const UNITS: Record<string, number> = { s: 1_000, sec: 1_000, m: 60_000, min: 60_000, h: 3_600_000 }

/**
 * Reads `N/s`, `N/min` or `N/h` (`--rate-limit`); `off` turns limiting off. Throws
 * `bad_request` on anything else.
 */
export const parseRateLimit = (text: string): RateLimit | false => {
  if (text === 'off') return false
  const match = /^(\d{1,9})\/(s|sec|m|min|h)$/.exec(text.trim())
  if (!match || Number(match[1]) === 0)
    throw new TidingsError(
      'bad_request',
      `rate limit ${JSON.stringify(text)} is not N/s, N/min, N/h (N > 0) or off`,
    )
  return { max: Number(match[1]), windowMs: UNITS[match[2]!]! }
}
