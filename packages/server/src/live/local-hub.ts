import type { LiveHub, LiveListener, LiveLog } from './hub.js'
import { Subscribers } from './subscribers.js'

/**
 * The hub of a single process (SQLite, PGlite, memory): `notify` delivers synchronously to this
 * process's subscribers. Several processes on one SQLite file would not see each other's
 * pokes; that is what the Postgres hub is for.
 */
export class LocalHub implements LiveHub {
  readonly kind = 'memory'
  log: LiveLog | undefined
  readonly #subscribers = new Subscribers()
  #closed = false

  get ready(): boolean {
    return !this.#closed
  }

  get listeners(): number {
    return this.#subscribers.count
  }

  async start(): Promise<void> {}

  notify(stream: string, head: number): void {
    if (!this.#closed) this.#subscribers.poke({ stream, cursor: String(head) })
  }

  subscribe(stream: string, listener: LiveListener): () => void {
    return this.#subscribers.add(stream, listener)
  }

  async close(): Promise<void> {
    this.#closed = true
  }
}
