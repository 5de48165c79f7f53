import type { LiveLog } from './hub.js'

/** An open live stream as the watch sees it. */
export interface WatchedStream {
  /**
   * What authenticated it (the server uses the token's hash); absent for a credential that
   * carries its own end (a JWT: the stream ends at its `exp`), which is not asked about.
   */
  readonly credential: string | undefined
  end(): void
}

/** Which of these credentials still authenticate; the server asks its database. */
export type StillValid = (credentials: readonly string[]) => Promise<ReadonlySet<string>>

export interface CredentialWatchOptions {
  /** This node's open streams, read at each check. */
  open: () => Iterable<WatchedStream>
  stillValid: StillValid
  /** How often to check; a revocation ends streams within about this long. */
  intervalMs: number
  log: () => LiveLog | undefined
}

/** Often enough that a revocation ends live streams "within seconds"; one small query per node. */
export const DEFAULT_RECHECK_MS = 2_000

/**
 * Ends the live streams whose token was revoked (or replaced by `tidings user token`) since
 * they opened. A stream carries only pokes, but a revoked user must stop hearing about its
 * data at once, not at the stream's maximum age. Nothing here trusts process memory or waits
 * for a message that could be lost: every `intervalMs` the database is asked, in one batch
 * for all of this node's open streams, so a revocation made anywhere (another node, the CLI
 * in another process) ends the streams on every node. A failed check (the database is down)
 * is logged and tried again at the next tick; streams stay open meanwhile, since ending every
 * stream would only send every client to reconnect against the same unavailable database.
 */
export class CredentialWatch {
  readonly #options: CredentialWatchOptions
  readonly #timer: ReturnType<typeof setInterval>
  #checking = false

  constructor(options: CredentialWatchOptions) {
    this.#options = options
    this.#timer = setInterval(() => void this.check(), options.intervalMs)
    this.#timer.unref()
  }

  /** One check now; a tick that finds the previous check still running skips. */
  async check(): Promise<void> {
    if (this.#checking) return
    const streams = [...this.#options.open()].filter((s) => s.credential !== undefined)
    if (streams.length === 0) return
    this.#checking = true
    try {
      const valid = await this.#options.stillValid([
        ...new Set(streams.map((s) => s.credential as string)),
      ])
      for (const stream of streams) if (!valid.has(stream.credential as string)) stream.end()
    } catch (err) {
      this.#options.log()?.warn({ err }, 'live: cannot check open streams’ tokens; trying again')
    } finally {
      this.#checking = false
    }
  }

  stop(): void {
    clearInterval(this.#timer)
  }
}
