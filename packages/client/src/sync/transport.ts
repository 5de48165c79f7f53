import {
  AUTH_HEADER,
  BEARER,
  type Bundle,
  type BundleIdsResponse,
  type GetBundlesResponse,
  type Limits,
  type MessageSchemas,
  messageSchemas,
  type PullResponse,
  parseWire,
  type SyncResponse,
  TidingsError,
} from '@tidings/protocol'
import { FastWire } from './fast-wire.js'
import { parseRetryAfter, RETRY_AFTER_HEADER, withRetryAfter } from './retry-after.js'
import { isTokenExpired, type TokenSource, tokenSourceOf } from './token-source.js'
import type { ServerOptions } from './types.js'

/** A wire schema of the protocol package (zod, which this package does not import itself). */
type WireSchema = Parameters<typeof parseWire>[0]
type WireValue<S extends WireSchema> = ReturnType<typeof parseWire<S>>

/** An answer with the device-clock instants it was sent and received at (for the clock offset). */
export interface Answer<T> {
  body: T
  sentAt: number
  receivedAt: number
}

/** The answers this client reads, by wire schema name. */
interface Answers {
  syncResponse: SyncResponse
  pullResponse: PullResponse
  bundleIdsResponse: BundleIdsResponse
  getBundlesResponse: GetBundlesResponse
}
type Key = keyof Answers & keyof MessageSchemas

/**
 * HTTP over the web `fetch` (no Node import): bearer auth, answers validated against the wire
 * schemas, retries with exponential backoff and full jitter on network errors, 5xx and 429,
 * failing over to the next server URL on network errors. A `Retry-After` on a 429 or 5xx is
 * honoured: the next attempt waits at least that long, and a wait longer than `MAX_WAIT_MS`
 * is not spent inside the request but handed up (as `details.retryAfterMs`) to the scheduler.
 * Other 4xx answers become the server's typed `TidingsError` at once (retrying cannot fix them).
 */
export class Transport {
  private readonly urls: string[]
  private current = 0
  private readonly schemas: MessageSchemas
  private readonly fetchFn: typeof globalThis.fetch
  private readonly attempts: number
  private readonly backoffMs: number
  private readonly fast = new FastWire()
  private readonly tokens: TokenSource

  constructor(
    options: ServerOptions,
    limits: Limits,
    /** The device's wall clock (uncorrected): what the clock offset is measured against. */
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) =>
      new Promise((r) => setTimeout(r, ms)),
  ) {
    this.urls = (typeof options.url === 'string' ? [options.url] : [...options.url]).map((u) =>
      u.replace(/\/+$/, ''),
    )
    if (this.urls.length === 0)
      throw new TidingsError('bad_request', 'server.url must name at least one server')
    this.tokens = tokenSourceOf(options)
    this.schemas = messageSchemas(limits)
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
    this.attempts = Math.max(1, options.attempts ?? 5)
    this.backoffMs = options.backoffMs ?? 200
  }

  get<K extends Key>(route: string, answer: K): Promise<Answer<Answers[K]>> {
    return this.request('GET', route, undefined, (payload) =>
      this.readOrThrow(answer, payload, route),
    )
  }

  post<K extends Key>(route: string, body: unknown, answer: K): Promise<Answer<Answers[K]>> {
    return this.request('POST', route, body, (payload) => this.readOrThrow(answer, payload, route))
  }

  /**
   * Any other route (the spaces routes of DESIGN §8): the answer is read with `schema` (an answer
   * it refuses is `bad_answer`); null reads nothing (a DELETE's answer). Same auth, retries and
   * typed refusals as the sync routes.
   */
  async call<S extends WireSchema>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    route: string,
    body: unknown,
    schema: S | null,
  ): Promise<WireValue<S>> {
    type T = WireValue<S>
    const answer = await this.request(method, route, body, (payload) => {
      if (schema === null) return undefined as T
      try {
        return parseWire(schema, payload, `answer from ${route}`) as T
      } catch (cause) {
        throw new TidingsError(
          'bad_answer',
          `cannot read the server's answer to ${method} ${route} (${(cause as Error).message}); the server may be older or newer than this client`,
          { details: (cause as TidingsError).details, cause },
        )
      }
    })
    return answer.body
  }

  private async request<T>(
    method: string,
    route: string,
    body: unknown,
    read: (payload: unknown) => T,
  ): Promise<Answer<T>> {
    const text = body === undefined ? undefined : JSON.stringify(body)
    let last: TidingsError | undefined
    let retryAfterMs = 0
    let token = await this.tokens.get()
    // An expired token is replaced once per request, and the request sent again at once
    // (not counted as an attempt: nothing failed that waiting could fix).
    let refreshed = false
    let sendNow = false
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      if (attempt > 0 && !sendNow) await this.sleep(Math.max(retryAfterMs, this.delay(attempt)))
      sendNow = false
      retryAfterMs = 0
      const url = this.urls[this.current]! + route
      const sentAt = this.now()
      let response: Response
      try {
        response = await this.fetchFn(url, {
          method,
          headers: {
            [AUTH_HEADER]: BEARER + token,
            ...(text ? { 'content-type': 'application/json' } : {}),
          },
          ...(text ? { body: text } : {}),
        })
      } catch (cause) {
        // Unreachable: try the next server (if any) on the next attempt.
        this.current = (this.current + 1) % this.urls.length
        last = new TidingsError(
          'unavailable',
          `cannot reach ${url}: ${(cause as Error)?.message ?? cause}`,
          { cause },
        )
        continue
      }
      const receivedAt = this.now()
      const payload = await readJson(response)
      if (response.ok) return { body: read(payload), sentAt, receivedAt }
      const error = TidingsError.fromBody(payload, response.status)
      if (!refreshed && this.tokens.refreshable && isTokenExpired(error)) {
        refreshed = true
        sendNow = true
        token = await this.tokens.refresh(token)
        attempt--
        continue
      }
      if (response.status < 500 && response.status !== 429) throw error
      const wait = parseRetryAfter(response.headers.get(RETRY_AFTER_HEADER), receivedAt)
      last = withRetryAfter(error, wait)
      if (wait !== null && wait > MAX_WAIT_MS) throw last
      retryAfterMs = wait ?? 0
    }
    throw last ?? new TidingsError('unavailable', `${method} ${route} failed`)
  }

  /**
   * An answer this client cannot read is the server's doing, not a refusal of what was sent: it
   * becomes `bad_answer` (with the schema's issues as details), so nothing downstream takes a
   * path in it (`bundles.0.…`) for a refusal of a pushed bundle. Unknown fields never get here:
   * answer schemas drop them (DESIGN.md §6).
   */
  private readOrThrow<K extends Key>(answer: K, payload: unknown, route: string): Answers[K] {
    try {
      return this.parse(answer, payload, route)
    } catch (cause) {
      throw new TidingsError(
        'bad_answer',
        `cannot read the server's answer to ${route} (${(cause as Error).message}); the server may be newer than this client: update the app`,
        { details: (cause as TidingsError).details, cause },
      )
    }
  }

  /**
   * Validates an answer against its wire schema. The bundles of a pulled page, the bulk of any
   * answer, first meet a fast check of the same rules (see `FastWire`); only the envelope then
   * goes through zod. Whatever the fast check does not accept is parsed whole by the schema.
   */
  private parse<K extends Key>(answer: K, payload: unknown, route: string): Answers[K] {
    const what = `${answer} from ${route}`
    if (
      answer !== 'bundleIdsResponse' &&
      typeof payload === 'object' &&
      payload !== null &&
      this.fast.bundles((payload as { bundles?: unknown }).bundles)
    ) {
      const bundles = (payload as { bundles: Bundle[] }).bundles
      const envelope = parseWire(this.schemas[answer], { ...payload, bundles: [] }, what) as object
      return { ...envelope, bundles } as Answers[K]
    }
    return parseWire(this.schemas[answer], payload, what) as Answers[K]
  }

  /** Exponential backoff with full jitter, capped at 30 s. */
  private delay(attempt: number): number {
    return Math.random() * Math.min(30_000, this.backoffMs * 2 ** (attempt - 1))
  }
}

/** The longest `Retry-After` waited out inside one request; longer waits go to the scheduler. */
const MAX_WAIT_MS = 30_000

const readJson = async (response: Response): Promise<unknown> => {
  const text = await response.text()
  if (text === '') return null
  try {
    return JSON.parse(text)
  } catch {
    return {
      error: {
        code: response.ok ? 'internal' : 'unavailable',
        message: `not JSON: ${text.slice(0, 200)}`,
      },
    }
  }
}
