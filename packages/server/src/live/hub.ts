/**
 * Live pokes: a hint that a stream has advanced to `cursor`. A poke carries no data and may be
 * lost, duplicated or late; a client that receives one simply syncs from its own cursor, so no
 * correctness depends on a hub (or on any process's memory).
 */
export interface LivePoke {
  stream: string
  cursor: string
}

/** One subscriber of a stream, e.g. an open `GET /v1/live` response. */
export interface LiveListener {
  poke(cursor: string): void
  /**
   * The hub may have missed pokes (its Postgres connection dropped): the subscriber should end
   * so its client reconnects, and syncs on reconnect, instead of waiting for a poke that will
   * never come.
   */
  lost(): void
}

/** Fans pokes out to subscribers: within one process, or across every node of one database. */
export interface LiveHub {
  /** `memory` serves one process; `postgres` reaches every node sharing the database. */
  readonly kind: 'memory' | 'postgres'
  /** False while subscribers would miss pokes (e.g. the LISTEN connection is down). */
  readonly ready: boolean
  /** Starts listening; resolves once subscriptions receive pokes. */
  start(): Promise<void>
  /**
   * Announces that `stream` advanced to position `head`; call after the write committed.
   * Fire and forget: a failure is logged, never thrown, because the write itself succeeded
   * and clients find it by cursor on their next sync.
   */
  notify(stream: string, head: number): void
  /** Returns the unsubscribe function. */
  subscribe(stream: string, listener: LiveListener): () => void
  /** How many listeners are subscribed, over all streams. */
  readonly listeners: number
  /** Where failures go; the server sets its own logger. */
  log: LiveLog | undefined
  close(): Promise<void>
}

/** The few logger methods the live code needs; pino and Fastify's logger fit. */
export interface LiveLog {
  warn(details: object, message: string): void
  error(details: object, message: string): void
}

// The in-process hub, where the HTTP app expects it.
export { LocalHub } from './local-hub.js'
