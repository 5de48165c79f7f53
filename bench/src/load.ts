import { type Bundle, HybridClock, newId, ROUTES, SYNC_PROTOCOL } from '@tidings/protocol'
import autocannon from 'autocannon'
import { ATTRIBUTES } from './workload.js'

export const CONNECTIONS = 50

/** Padding so one bundle of 4 events is about 2 KB of JSON. */
const FILLER = 'x'.repeat(250)

/** One ~2 KB bundle: one entity, four attributes, from `client` stamped by `clock`. */
export const twoKbBundle = (client: string, clock: HybridClock): Bundle => {
  const entity = newId()
  const events = ATTRIBUTES.map((attribute) => ({
    id: newId(),
    type: 'document',
    entity,
    attribute,
    value: `${attribute} ${FILLER}`,
    hlc: clock.send(),
    client,
  }))
  return { id: newId(), client, hlc: events[events.length - 1]?.hlc as string, events }
}

export interface LoadResult {
  rps: number
  p50: number
  p99: number
  requests: number
  bodyBytes: number
}

/**
 * How long one load sample lasts: a fixed time (full runs), or until a number of requests have
 * been answered (`--quick`: on a loaded machine a short window can end before any request
 * does, which would be no measurement at all).
 */
export type LoadWindow = { seconds: number } | { requests: number }

export const windowText = (window: LoadWindow): string =>
  'seconds' in window ? `${window.seconds} s` : `${window.requests} requests`

/**
 * autocannon against `url` at 50 connections for a `window`. Every request carries a new body
 * from `nextBody(connection)`; a response other than 2xx fails the measurement with its body.
 */
export const load = async (options: {
  url: string
  window: LoadWindow
  headers: (connection: number) => Record<string, string>
  nextBody: (connection: number, previous: string | null) => string
}): Promise<LoadResult> => {
  let connections = 0
  let failure: string | null = null
  let bodyBytes = 0
  const result = await autocannon({
    url: options.url,
    method: 'POST',
    connections: CONNECTIONS,
    ...('seconds' in options.window
      ? { duration: options.window.seconds }
      : { amount: options.window.requests }),
    setupClient(client) {
      const connection = connections++
      let chunks: Buffer[] = []
      const first = options.nextBody(connection, null)
      bodyBytes = Buffer.byteLength(first)
      client.setHeadersAndBody(
        { 'content-type': 'application/json', ...options.headers(connection) },
        first,
      )
      client.on('body', (chunk: Buffer) => chunks.push(chunk))
      // Runs after each response and before the next request is written.
      client.on('response', (status: number) => {
        const body = Buffer.concat(chunks).toString()
        chunks = []
        if (status < 200 || status >= 300) failure ??= `HTTP ${status}: ${body.slice(0, 300)}`
        client.setBody(options.nextBody(connection, body))
      })
    },
  })
  if (failure !== null) throw new Error(failure)
  // No answer at all is no measurement (a wedged server, a window shorter than one request).
  if (result['2xx'] === 0)
    throw new Error(
      `no request answered in ${windowText(options.window)} (${result.errors} connection errors, ${result.timeouts} timeouts)`,
    )
  return {
    rps: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result['2xx'],
    bodyBytes,
  }
}

/** One simulated device per connection; kept across runs so cursors stay current. */
export interface SyncConnection {
  token: string
  id: string
  clock: HybridClock
  cursor: string | null
}

/** Connection i is user i's only client, so its answers carry no one else's bundles. */
export const syncConnections = (tokens: readonly string[]): SyncConnection[] => {
  if (tokens.length < CONNECTIONS)
    throw new Error(`need ${CONNECTIONS} users, got ${tokens.length}`)
  return tokens.slice(0, CONNECTIONS).map((token) => {
    const id = newId()
    return { token, id, clock: new HybridClock({ node: id }), cursor: null }
  })
}

/**
 * Loads `POST /v1/sync` of a Tidings server with one new ~2 KB bundle per request, as today's
 * clients send it (`protocol` 2: marked cursors, checked on every request), or with
 * `protocol: 1` as a released client does (plain cursors, no check).
 */
export const loadSync = (
  url: string,
  connections: readonly SyncConnection[],
  window: LoadWindow,
  protocol = SYNC_PROTOCOL,
): Promise<LoadResult> =>
  load({
    url: `${url}${ROUTES.sync}`,
    window,
    headers: (i) => ({ authorization: `Bearer ${connections[i]?.token}` }),
    nextBody: (i, previous) => {
      const conn = connections[i]!
      // A real client sends the cursor it was given, so the server answers only what is new.
      if (previous) conn.cursor = (JSON.parse(previous) as { cursor: string }).cursor
      const bundle = twoKbBundle(conn.id, conn.clock)
      return JSON.stringify({
        ...(protocol > 1 && { protocol }),
        client: conn.id,
        hlc: bundle.hlc,
        cursor: conn.cursor,
        bundles: [bundle],
      })
    },
  })

/** The framework's bare route with the same kind of body. */
export const loadBare = (url: string, window: LoadWindow): Promise<LoadResult> => {
  const id = newId()
  const clock = new HybridClock({ node: id })
  return load({
    url: `${url}/bare`,
    window,
    headers: () => ({}),
    nextBody: () => {
      const bundle = twoKbBundle(id, clock)
      return JSON.stringify({ client: id, hlc: bundle.hlc, cursor: null, bundles: [bundle] })
    },
  })
}
