import { TidingsError } from '@tidings/protocol'
import pg from 'pg'
import type { LiveHub, LiveListener, LiveLog, LivePoke } from './hub.js'
import { Subscribers } from './subscribers.js'

export interface PostgresHubOptions {
  url: string
  /** The NOTIFY channel every node of one deployment shares. */
  channel?: string
  /** Reconnect delays of the LISTEN connection: doubling from `initialMs` up to `maxMs`, jittered. */
  retry?: { initialMs: number; maxMs: number }
  /** Shown in `pg_stat_activity` (default `tidings-live`): operators and tests find the LISTEN connection by it. */
  applicationName?: string
  random?: () => number
}

export const DEFAULT_CHANNEL = 'tidings_live'
export const DEFAULT_APPLICATION_NAME = 'tidings-live'
const CHANNEL_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/

/**
 * Pokes across every server process sharing one Postgres database: `publish` runs
 * `pg_notify(channel, {"s":stream,"c":cursor})` on a small pool (after the push committed), and one dedicated connection per
 * node LISTENs on the channel (its own notifications included) and fans out to local subscribers.
 * When that connection drops, notifications sent meanwhile are lost, so every subscriber is told
 * (`lost`) and ends; its client reconnects and syncs by cursor. The hub reconnects with backoff.
 */
export class PostgresHub implements LiveHub {
  readonly kind = 'postgres'
  readonly #subscribers = new Subscribers()
  log: LiveLog | undefined
  readonly #options: Required<PostgresHubOptions>
  readonly #pool: pg.Pool
  #listener: pg.Client | null = null
  #closed = false
  #attempt = 0
  #retryTimer: ReturnType<typeof setTimeout> | null = null
  /** Streams' newest heads waiting for the next publish (see `notify`). */
  readonly #pending = new Map<string, number>()
  #publishing = false

  constructor(options: PostgresHubOptions) {
    const channel = options.channel ?? DEFAULT_CHANNEL
    if (!CHANNEL_PATTERN.test(channel))
      throw new TidingsError(
        'bad_request',
        `live channel ${JSON.stringify(channel)} must be a lowercase identifier`,
      )
    this.#options = {
      retry: { initialMs: 250, maxMs: 10_000 },
      random: Math.random,
      applicationName: DEFAULT_APPLICATION_NAME,
      ...options,
      channel,
    }
    this.#pool = new pg.Pool({ connectionString: options.url, max: 2 })
    this.#pool.on('error', (err) => this.log?.warn({ err }, 'live: idle NOTIFY connection failed'))
  }

  get ready(): boolean {
    return this.#listener !== null
  }

  get listeners(): number {
    return this.#subscribers.count
  }

  /** Resolves once LISTEN is active; rejects if Postgres cannot be reached at all. */
  async start(): Promise<void> {
    await this.#listen()
  }

  /**
   * Coalesced: each NOTIFY is a Postgres transaction of its own, serialised cluster-wide by
   * the notify lock and waiting for its own WAL flush, so one per push would cap the pokes at
   * one per fsync and queue without bound. Instead, while one publish is in flight, the newest
   * head of each stream waits, and the next publish carries them all in one statement.
   */
  notify(stream: string, head: number): void {
    if (this.#closed) return
    const waiting = this.#pending.get(stream)
    if (waiting === undefined || head > waiting) this.#pending.set(stream, head)
    if (!this.#publishing) void this.#publishPending()
  }

  async #publishPending(): Promise<void> {
    this.#publishing = true
    while (this.#pending.size > 0 && !this.#closed) {
      const pokes = [...this.#pending].map(([s, c]) => JSON.stringify({ s, c: String(c) }))
      this.#pending.clear()
      try {
        await this.#pool.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [
          this.#options.channel,
          pokes,
        ])
      } catch (err) {
        this.log?.warn(
          { err, pokes: pokes.length },
          'live: pokes not published; clients catch up on their next sync',
        )
      }
    }
    this.#publishing = false
  }

  /** `notify`, awaitable: resolves once Postgres has queued the notification. */
  async publish({ stream, cursor }: LivePoke): Promise<void> {
    if (this.#closed) return
    await this.#pool.query('SELECT pg_notify($1, $2)', [
      this.#options.channel,
      JSON.stringify({ s: stream, c: cursor }),
    ])
  }

  subscribe(stream: string, listener: LiveListener): () => void {
    return this.#subscribers.add(stream, listener)
  }

  async close(): Promise<void> {
    this.#closed = true
    if (this.#retryTimer) clearTimeout(this.#retryTimer)
    const listener = this.#listener
    this.#listener = null
    await Promise.all([listener?.end(), this.#pool.end()])
  }

  async #listen(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.#options.url,
      application_name: this.#options.applicationName,
    })
    client.on('error', (err) => this.#onLost(client, err))
    client.on('end', () => this.#onLost(client, new Error('connection ended')))
    client.on('notification', (message) => {
      if (message.channel === this.#options.channel) this.#onPayload(message.payload)
    })
    try {
      await client.connect()
      // The channel matched CHANNEL_PATTERN, so it is safe as a bare identifier.
      await client.query(`LISTEN ${this.#options.channel}`)
    } catch (err) {
      await client
        .end()
        .catch((endErr: unknown) =>
          this.log?.warn({ err: endErr }, 'live: closing a failed LISTEN connection failed'),
        )
      throw new TidingsError('unavailable', 'live: cannot LISTEN on Postgres', { cause: err })
    }
    if (this.#closed) {
      await client.end()
      return
    }
    this.#listener = client
    this.#attempt = 0
  }

  #onLost(client: pg.Client, err: Error): void {
    if (client !== this.#listener) return
    this.#listener = null
    if (this.#closed) return
    this.log?.warn({ err }, 'live: LISTEN connection lost; ending live streams and reconnecting')
    this.#subscribers.lostAll()
    client
      .end()
      .catch((endErr: unknown) =>
        this.log?.warn({ err: endErr }, 'live: closing a lost LISTEN connection failed'),
      )
    this.#scheduleReconnect()
  }

  #scheduleReconnect(): void {
    const { initialMs, maxMs } = this.#options.retry
    const ceiling = Math.min(maxMs, initialMs * 2 ** this.#attempt)
    this.#attempt++
    const delay = ceiling / 2 + (this.#options.random() * ceiling) / 2
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null
      this.#listen().catch((err: unknown) => {
        this.log?.warn({ err }, 'live: LISTEN reconnect failed; retrying')
        if (!this.#closed) this.#scheduleReconnect()
      })
    }, delay)
  }

  #onPayload(payload: string | undefined): void {
    const poke = parsePayload(payload)
    // Anyone may NOTIFY on the channel; what is not ours is logged and dropped.
    if (poke) this.#subscribers.poke(poke)
    else this.log?.warn({ payload }, 'live: ignored a malformed notification')
  }
}

const parsePayload = (payload: string | undefined): LivePoke | null => {
  try {
    const value = JSON.parse(payload ?? '') as { s?: unknown; c?: unknown }
    return typeof value.s === 'string' && typeof value.c === 'string'
      ? { stream: value.s, cursor: value.c }
      : null
  } catch {
    return null
  }
}
