import {
  AUTH_HEADER,
  BEARER,
  isTidingsError,
  messageSchemas,
  ROUTES,
  TidingsError,
} from '@tidings/protocol'
import { type TokenOption, TokenSource } from '../sync/token-source.js'
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoff.js'
import { SseParser } from './sse-parser.js'

export interface LiveConnectionOptions {
  /** Server base URLs; after a failure the next one is tried (failover). */
  urls: readonly string[]
  /** A token, a token function, or the client's shared source (so refreshes serve requests too). */
  token: TokenOption | TokenSource
  backoff?: BackoffOptions
  /** No byte (poke or heartbeat) for this long means a dead connection; default 45 s. */
  idleTimeoutMs?: number
  /**
   * A stream must stay open this long before the backoff starts over; default 10 s. A server
   * (or proxy) that accepts the stream and drops it at once otherwise got a reconnect, and a
   * full sync, every few hundred ms forever.
   */
  healthyMs?: number
  fetch?: typeof fetch
  random?: () => number
}

/** What a live connection reports, in order: `open`, then pokes, then `closed`, and again. */
export type LiveEvent =
  | { type: 'open'; url: string }
  | { type: 'poke'; cursor: string; url: string }
  /** `retryInMs` is Infinity when the server refused the credentials twice: see `resume()`. */
  | { type: 'closed'; url: string; error: TidingsError; retryInMs: number }

export type LiveState = 'stopped' | 'connecting' | 'open' | 'waiting'

const pokeSchema = messageSchemas().poke
/** Three missed 15 s heartbeats. */
export const DEFAULT_IDLE_TIMEOUT_MS = 45_000
export const DEFAULT_HEALTHY_MS = 10_000

/**
 * Keeps one `GET /v1/live` event stream open, read through `fetch` (so it can send the bearer
 * token, which `EventSource` cannot, and runs in browsers and Node alike). Reconnects with
 * jittered exponential backoff, moving to the next URL after each failure. A poke is a hint:
 * listeners should sync on `open` (pokes sent while disconnected are gone) and on `poke`.
 */
export class LiveConnection {
  readonly #options: LiveConnectionOptions
  readonly #listeners = new Set<(event: LiveEvent) => void>()
  #state: LiveState = 'stopped'
  #abort: AbortController | null = null
  #urlIndex = 0
  #attempt = 0
  /** When the current stream opened (epoch ms); null while none is open. */
  #openedAt: number | null = null
  readonly #tokens: TokenSource
  /** The token the last session sent: a reconnect asks for a fresh one (a token function's). */
  #sent: string | undefined
  /** Sessions refused with 401 in a row (each reconnect already asked for a fresh token). */
  #refused = 0
  /** Wakes a connection parked after refused credentials (see `resume`). */
  #resume: (() => void) | null = null

  constructor(options: LiveConnectionOptions) {
    if (options.urls.length === 0)
      throw new TidingsError('bad_request', 'live: give at least one server URL')
    this.#options = options
    this.#tokens =
      options.token instanceof TokenSource ? options.token : new TokenSource(options.token)
  }

  get state(): LiveState {
    return this.#state
  }

  /** The server URL in use, or the next one to try. */
  get url(): string {
    return this.#options.urls[this.#urlIndex] as string
  }

  /** Returns the unsubscribe function. */
  on(listener: (event: LiveEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  start(): void {
    if (this.#state !== 'stopped') return
    const abort = new AbortController()
    this.#abort = abort
    void this.#run(abort.signal)
  }

  stop(): void {
    this.#abort?.abort()
    this.#abort = null
    this.#state = 'stopped'
  }

  /**
   * Connects again after the server refused the credentials (the app signed the user in again,
   * or a sync got through): a stream refused with 401 twice in a row, the second time with a
   * fresh token, waits for this instead of retrying forever.
   */
  resume(): void {
    this.#refused = 0
    this.#resume?.()
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const url = this.url
      this.#state = 'connecting'
      this.#openedAt = null
      const error = await this.#session(url, signal)
      if (signal.aborted) return
      const openedAt = this.#openedAt as number | null
      if (
        openedAt !== null &&
        Date.now() - openedAt >= (this.#options.healthyMs ?? DEFAULT_HEALTHY_MS)
      )
        this.#attempt = 0
      this.#refused = isTidingsError(error, 'unauthorized') ? this.#refused + 1 : 0
      if (this.#refused >= 2) {
        // A fresh token was refused too: only the app (signing in again) can cure this.
        this.#state = 'waiting'
        this.#emit({ type: 'closed', url, error, retryInMs: Number.POSITIVE_INFINITY })
        await new Promise<void>((resolve) => {
          this.#resume = resolve
          signal.addEventListener('abort', () => resolve())
        })
        this.#resume = null
        this.#attempt = 0
        continue
      }
      this.#urlIndex = (this.#urlIndex + 1) % this.#options.urls.length
      const retryInMs = backoffDelay(
        this.#attempt++,
        this.#options.backoff ?? DEFAULT_BACKOFF,
        this.#options.random ?? Math.random,
      )
      this.#state = 'waiting'
      this.#emit({ type: 'closed', url, error, retryInMs })
      await sleep(retryInMs, signal)
    }
  }

  /** One connection, from request to end; answers why it ended. */
  async #session(base: string, outer: AbortSignal): Promise<TidingsError> {
    const abort = new AbortController()
    const stopInner = () => abort.abort()
    outer.addEventListener('abort', stopInner)
    let idle: ReturnType<typeof setTimeout> | undefined
    let timedOut = false
    const touch = () => {
      clearTimeout(idle)
      idle = setTimeout(() => {
        timedOut = true
        abort.abort()
      }, this.#options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS)
    }
    try {
      touch()
      // A stream ends when its token expires (the server closes it at the JWT's exp): every
      // reconnect asks the token function again, sharing a refresh the requests may have begun.
      let token: string
      try {
        token = await (this.#sent === undefined
          ? this.#tokens.get()
          : this.#tokens.refresh(this.#sent))
      } catch (error) {
        return isTidingsError(error)
          ? error
          : new TidingsError('unavailable', 'live: cannot get a token', { cause: error })
      }
      this.#sent = token
      const doFetch = this.#options.fetch ?? fetch
      const response = await doFetch(`${base.replace(/\/+$/, '')}${ROUTES.live}`, {
        headers: { [AUTH_HEADER]: `${BEARER}${token}`, accept: 'text/event-stream' },
        signal: abort.signal,
      })
      if (!response.ok || !response.body) {
        const body: unknown = await response.json().catch(() => null)
        return TidingsError.fromBody(body, response.status)
      }
      this.#state = 'open'
      this.#openedAt = Date.now()
      this.#emit({ type: 'open', url: base })
      const parser = new SseParser({ message: (message) => this.#onMessage(base, message.data) })
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
      for (;;) {
        const { done, value } = await reader.read()
        if (done)
          return new TidingsError('unavailable', `live: ${base} ended the stream; reconnecting`)
        touch()
        parser.push(value)
      }
    } catch (err) {
      if (timedOut)
        return new TidingsError('unavailable', `live: no heartbeat from ${base}; reconnecting`, {
          cause: err,
        })
      return new TidingsError('unavailable', `live: cannot reach ${base}; retrying`, { cause: err })
    } finally {
      clearTimeout(idle)
      outer.removeEventListener('abort', stopInner)
      abort.abort() // releases the response body if we left early
    }
  }

  #onMessage(url: string, data: string): void {
    const parsed = pokeSchema.safeParse(safeJson(data))
    // A message we do not understand may come from a newer server: skip it, the stream goes on.
    if (parsed.success) this.#emit({ type: 'poke', cursor: parsed.data.cursor, url })
  }

  #emit(event: LiveEvent): void {
    for (const listener of [...this.#listeners]) listener(event)
  }
}

const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done)
  })
