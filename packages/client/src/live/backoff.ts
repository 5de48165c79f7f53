export interface BackoffOptions {
  /** The first retry waits up to this long, ms. */
  initialMs: number
  /** No wait is longer than this, ms. */
  maxMs: number
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 30_000 }

/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and
 * Jitter"): attempt n waits a uniform random time in [0, min(max, initial·2ⁿ)], so a fleet of
 * clients dropped by one server does not come back in one wave.
 */
export const backoffDelay = (
  attempt: number,
  options: BackoffOptions,
  random: () => number,
): number => random() * Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempt, 30))
