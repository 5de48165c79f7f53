import { isTidingsError, TidingsError } from '@tidings/protocol'

/** The header a server sends with 429 and 503 answers (RFC 9110 §10.2.3). */
export const RETRY_AFTER_HEADER = 'retry-after'

/**
 * The wait a `Retry-After` value asks for, in ms: delay-seconds or an HTTP date (measured
 * against `now`). Null when absent or unreadable, so the caller keeps its own backoff.
 */
export const parseRetryAfter = (value: string | null, now: number): number | null => {
  if (value === null) return null
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const date = Date.parse(text)
  return Number.isNaN(date) ? null : Math.max(0, date - now)
}

/** The same error carrying the server's requested wait in its details (`retryAfterMs`). */
export const withRetryAfter = (error: TidingsError, retryAfterMs: number | null): TidingsError => {
  if (retryAfterMs === null) return error
  const details =
    typeof error.details === 'object' && error.details !== null && !Array.isArray(error.details)
      ? { ...error.details, retryAfterMs }
      : { retryAfterMs }
  return new TidingsError(error.code, error.message, { details, cause: error.cause })
}

/** The wait a failed request asked for (see `withRetryAfter`), or 0. */
export const retryAfterOf = (error: unknown): number => {
  if (!isTidingsError(error)) return 0
  const wait = (error.details as { retryAfterMs?: unknown } | undefined)?.retryAfterMs
  return typeof wait === 'number' && wait > 0 ? wait : 0
}

/** Failures that pass by themselves: waiting, not the app, is the fix. */
export const isTransient = (error: unknown): boolean =>
  isTidingsError(error, 'unavailable') || isTidingsError(error, 'rate_limited')
