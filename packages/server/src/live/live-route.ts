import type { ServerResponse } from 'node:http'
import { ROUTES, TidingsError } from '@tidings/protocol'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { CredentialWatch, DEFAULT_RECHECK_MS, type StillValid } from './credential-watch.js'
import type { LiveHub } from './hub.js'
import { commentFrame, pokeFrame, SSE_HEADERS } from './sse.js'

export interface LiveRouteOptions {
  hub: LiveHub
  /**
   * The server's bearer authentication: resolves the caller's stream and the credential that
   * authenticated it (the token's hash), or when the credential expires on its own (a JWT's
   * `exp`, epoch ms), or throws `unauthorized`.
   */
  authenticate: (request: FastifyRequest) => Promise<LiveCaller>
  /** Which credentials still authenticate; open streams whose credential does not are ended. */
  stillValid: StillValid
  /** How often open streams' credentials are checked; default 2 s. */
  recheckMs?: number
  /** Comment frames this often keep idle streams alive through proxies; default 15 s. */
  heartbeatMs?: number
  /**
   * A stream ends after 75–100 % of this (checked at heartbeats; default 1 hour), so clients
   * spread over new nodes. (Revoked tokens do not wait for it: see `stillValid`.)
   */
  maxStreamMs?: number
  random?: () => number
}

/** Who opened a stream, and what ends it besides the stream's age. */
export interface LiveCaller {
  stream: string
  /** Checked with `stillValid` while the stream is open. */
  credential?: string | undefined
  /** Epoch ms the stream ends at: its credential expires then (the client reconnects with a new one). */
  expiresAt?: number | undefined
}

export const DEFAULT_HEARTBEAT_MS = 15_000
export const DEFAULT_MAX_STREAM_MS = 3_600_000

/**
 * `GET /v1/live`: a `text/event-stream` of `{cursor}` pokes for the caller's stream. The stream
 * opens with a comment once the subscription is active, so a client that syncs when the
 * response starts cannot miss a commit in between. Open streams end before the server closes,
 * so `close()` never waits on them.
 */
export const registerLiveRoute = (app: FastifyInstance, options: LiveRouteOptions): void => {
  // Hub failures (a lost LISTEN connection) go to the server's log unless the hub has one.
  options.hub.log ??= app.log
  const open = new Set<LiveStream>()
  const maxStreamMs = options.maxStreamMs ?? DEFAULT_MAX_STREAM_MS
  const random = options.random ?? Math.random
  const heartbeat = setInterval(() => {
    const now = Date.now()
    for (const stream of open) {
      if (now >= stream.endsAt) stream.end()
      else stream.write(commentFrame('heartbeat'))
    }
  }, options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS)
  heartbeat.unref()
  const watch = new CredentialWatch({
    open: () => open,
    stillValid: options.stillValid,
    intervalMs: options.recheckMs ?? DEFAULT_RECHECK_MS,
    log: () => options.hub.log,
  })

  app.addHook('preClose', async () => {
    clearInterval(heartbeat)
    watch.stop()
    for (const stream of open) stream.end()
  })

  app.get(ROUTES.live, async (request, reply) => {
    const { stream: key, credential, expiresAt } = await options.authenticate(request)
    if (!options.hub.ready)
      throw new TidingsError(
        'unavailable',
        'live pokes are unavailable on this node right now; retry or use another node',
      )
    // A HEAD answer has no body, so a held-open stream would never flush its headers and the
    // request would hang (found by tests/fuzz): answer it at once.
    if (request.method === 'HEAD') return reply.code(200).headers(SSE_HEADERS).send()
    reply.hijack()
    const endsAt = Date.now() + maxStreamMs * (0.75 + random() / 4)
    const stream = new LiveStream(reply.raw, endsAt, credential)
    open.add(stream)
    const unsubscribe = options.hub.subscribe(key, {
      poke: (cursor) => stream.poke(cursor),
      lost: () => stream.end(),
    })
    // Ended at the token's expiry to the millisecond, not at the next heartbeat: a stream must
    // not outlive the credential that opened it. An expiry after the stream's own end needs no
    // timer (and a timer past 2^31 ms would fire at once).
    const expiry =
      expiresAt === undefined || expiresAt >= endsAt
        ? undefined
        : setTimeout(() => stream.end(), Math.max(0, expiresAt - Date.now()))
    expiry?.unref()
    const forget = () => {
      clearTimeout(expiry)
      unsubscribe()
      open.delete(stream)
    }
    reply.raw.on('close', forget)
    // A client gone while we authenticated has already had its 'close'.
    if (request.raw.socket.destroyed) return forget()
    request.raw.socket.setNoDelay(true)
    // Headers hooks already set (CORS) go out too: a hijacked reply writes its own head.
    for (const [name, value] of Object.entries(reply.getHeaders()))
      if (value !== undefined) reply.raw.setHeader(name, value)
    reply.raw.writeHead(200, SSE_HEADERS)
    stream.write(commentFrame('live'))
  })
}

/**
 * One open response. A slow reader gets only the newest poke once its socket drains: a poke
 * is a hint to sync to at least that cursor, so older ones add nothing.
 */
class LiveStream {
  #waiting: string | null = null
  #draining = false

  constructor(
    readonly res: ServerResponse,
    /** Epoch ms after which the next heartbeat ends the stream instead. */
    readonly endsAt: number,
    /** What authenticated it; the stream ends once that no longer does. */
    readonly credential: string | undefined,
  ) {}

  poke(cursor: string): void {
    if (this.#draining) {
      this.#waiting = cursor
      return
    }
    this.write(pokeFrame(cursor))
  }

  write(frame: string): void {
    // While the socket drains, the newest poke waits in `#waiting` and heartbeats are moot.
    if (this.#draining || this.res.writableEnded || this.res.destroyed) return
    if (this.res.write(frame)) return
    this.#draining = true
    this.res.once('drain', () => {
      this.#draining = false
      const cursor = this.#waiting
      this.#waiting = null
      if (cursor !== null) this.poke(cursor)
    })
  }

  end(): void {
    if (!this.res.writableEnded) this.res.end()
  }
}
