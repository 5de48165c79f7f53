import { isTidingsError } from '@tidings/protocol'

/** How many recent errors the inspector keeps. */
export const ERROR_LOG_SIZE = 20

/** One failure as `inspector().sync().lastErrors` lists it, newest first. */
export interface LoggedError {
  /** When, ISO-8601 (device clock). */
  at: string
  /** `sync` (a sync or verify that failed), or `background` (an error nobody awaited). */
  source: 'sync' | 'background'
  code: string
  message: string
  details?: unknown
}

/**
 * The last few errors of a client, for the inspector: the status shows only the latest one,
 * and a developer chasing a flaky sync wants the ones before it. In memory only: a restart
 * starts a new list (the log is a debugging aid, not a record to keep).
 */
export class ErrorLog {
  private readonly entries: LoggedError[] = []
  /** The last error object logged: a background sync's failure reaches both paths once. */
  private last: unknown = undefined

  constructor(private readonly now: () => number = Date.now) {}

  record(source: LoggedError['source'], error: unknown): void {
    if (error === this.last) return
    this.last = error
    const entry: LoggedError = isTidingsError(error)
      ? { at: this.at(), source, code: error.code, message: error.message }
      : {
          at: this.at(),
          source,
          code: 'internal',
          message: error instanceof Error ? error.message : String(error),
        }
    if (isTidingsError(error) && error.details !== undefined) entry.details = error.details
    this.entries.unshift(entry)
    if (this.entries.length > ERROR_LOG_SIZE) this.entries.pop()
  }

  list(): LoggedError[] {
    return this.entries.slice()
  }

  private at(): string {
    return new Date(this.now()).toISOString()
  }
}
