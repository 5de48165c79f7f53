import { pokeIsNews } from '@tidings/protocol'
import { isTransient } from '../sync/retry-after.js'
import type { LiveEvent } from './live-connection.js'

/** What `LiveSync` needs of a live connection (a `LiveConnection`, or a fake in tests). */
export interface LiveSource {
  on(listener: (event: LiveEvent) => void): () => void
  start(): void
  stop(): void
  /** Reconnects a source parked after refused credentials. */
  resume?(): void
}

export interface LiveSyncOptions {
  source: LiveSource
  /** One sync; the client's `sync()`, which also updates the status stream. */
  sync: () => Promise<unknown>
  /** Resolves when no sync is in flight: a sync already running may have pulled before the poke. */
  idle: () => Promise<void>
  /** The cursor this client holds; a poke for exactly that position brings nothing new. */
  cursor: () => string | null
  /** Failures other than being offline (which the status stream shows and reconnects cure). */
  onError: (error: unknown) => void
}

/**
 * Syncs when the server says there is news: on every (re)connect, since pokes sent while
 * disconnected are gone, and on every poke for a cursor this client does not hold yet. Pokes
 * arriving during a sync coalesce into one more sync after it, never into none.
 */
export class LiveSync {
  readonly #options: LiveSyncOptions
  #off: (() => void) | null = null
  #running = false
  #again = false

  constructor(options: LiveSyncOptions) {
    this.#options = options
  }

  get started(): boolean {
    return this.#off !== null
  }

  start(): void {
    if (this.#off) return
    this.#off = this.#options.source.on((event) => this.#onEvent(event))
    this.#options.source.start()
  }

  stop(): void {
    this.#off?.()
    this.#off = null
    this.#options.source.stop()
  }

  /** The credentials work again (a sync got through): a stream refused with 401 reconnects. */
  resume(): void {
    if (this.#off) this.#options.source.resume?.()
  }

  #onEvent(event: LiveEvent): void {
    if (event.type === 'open') this.#request()
    else if (event.type === 'poke' && pokeIsNews(event.cursor, this.#options.cursor()))
      this.#request()
  }

  #request(): void {
    if (this.#running) {
      this.#again = true
      return
    }
    this.#running = true
    void this.#run()
  }

  async #run(): Promise<void> {
    try {
      do {
        this.#again = false
        await this.#options.idle()
        if (!this.started) return // stopped (or the client closed) while waiting
        try {
          await this.#options.sync()
        } catch (error) {
          if (!isTransient(error)) this.#options.onError(error)
        }
      } while (this.#again && this.started)
    } finally {
      this.#running = false
    }
  }
}
