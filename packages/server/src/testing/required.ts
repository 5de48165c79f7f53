/**
 * A real part a test needs (Postgres, PgBouncer, Chromium). In CI (`CI` set, as `.ci/run`
 * does) a missing part fails the run: a suite must not pass there by skipping what it exists
 * to test. Elsewhere the run goes on without it and says what was left out.
 */
export class MissingPartError extends Error {
  readonly code = 'missing_part'
  constructor(message: string) {
    super(message)
    this.name = 'MissingPartError'
  }
}

export const inCi = (): boolean => Boolean(process.env.CI) && process.env.CI !== 'false'

/**
 * Returns `available`; when it is false, throws in CI and otherwise warns with `why` and
 * `leftOut` (what this run will not cover).
 */
export const required = (available: boolean, why: string, leftOut: string): boolean => {
  if (available) return true
  if (inCi()) throw new MissingPartError(`${why}: CI needs it (${leftOut})`)
  console.warn(`${why}: ${leftOut}`)
  return false
}
