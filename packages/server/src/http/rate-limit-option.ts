import { TidingsError } from '@tidings/protocol'

/**
 * At most `max` requests per `windowMs` for each user (counted by its token, so before any
 * database read; a user holds one token) or, for requests without one, each IP address.
 */
export interface RateLimit {
  max: number
  windowMs: number
}

/**
 * Low enough that it actually holds one user back: a node serves a few thousand requests per
 * second in all (bench/RESULTS.md: about 2,300 pushes/s on 2 cores), so one runaway or abusive
 * user gets a small share of it and the others go on. High enough for normal use: a device
 * syncs once per local transaction or poke, one at a time, so a user's hundred devices syncing
 * at once fit, and the benchmarks' busiest user (about 45 requests/s) stays below it. A client
 * that meets it waits `Retry-After` and goes on, losing nothing. (The old default, 10,000/s,
 * was above what a node serves: it limited no one.)
 */
export const DEFAULT_RATE_LIMIT: RateLimit = { max: 100, windowMs: 1_000 }

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
