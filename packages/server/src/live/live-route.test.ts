import { ROUTES, TidingsError } from '@tidings/protocol'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { handleError } from '../http/errors.js'
import type { LiveHub } from './hub.js'
import { registerLiveRoute } from './live-route.js'
import { LocalHub } from './local-hub.js'

/**
 * Tokens are stream names (and credentials) here, and any token not in `revoked` is valid; the
 * real server resolves them through its user store.
 */
const startApp = async (
  hub: LiveHub,
  heartbeatMs = 60_000,
  maxStreamMs = 3_600_000,
  revoked: ReadonlySet<string> = new Set(),
  /** When set, credentials expire this long after a stream opens, as a JWT's `exp` does. */
  expiresInMs?: number,
): Promise<{ app: FastifyInstance; url: string }> => {
  const app = Fastify()
  app.setErrorHandler(handleError)
  registerLiveRoute(app, {
    hub,
    heartbeatMs,
    maxStreamMs,
    recheckMs: 20,
    authenticate: async (request) => {
      const token = request.headers.authorization?.replace(/^Bearer /, '')
      if (!token || revoked.has(token)) throw new TidingsError('unauthorized', 'no token')
      if (expiresInMs !== undefined) return { stream: token, expiresAt: Date.now() + expiresInMs }
      return { stream: token, credential: token }
    },
    stillValid: async (tokens) => new Set(tokens.filter((token) => !revoked.has(token))),
  })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, url }
}

/** Reads an event stream's raw text as it arrives. */
const openLive = async (url: string, token: string) => {
  const response = await fetch(url + ROUTES.live, { headers: { authorization: `Bearer ${token}` } })
  let text = ''
  let ended = false
  const reading = (async () => {
    if (!response.body) return
    const decoder = new TextDecoder()
    for await (const chunk of response.body)
      text += decoder.decode(chunk as Uint8Array, { stream: true })
    ended = true
  })()
  return { response, text: () => text, ended: () => ended, reading }
}

const apps: FastifyInstance[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

describe(`GET ${ROUTES.live}`, () => {
  it('answers an event stream and sends a {cursor} poke when the stream advances', async () => {
    const hub = new LocalHub()
    const { app, url } = await startApp(hub)
    apps.push(app)
    const alice = await openLive(url, 'alice')
    const bob = await openLive(url, 'bob')
    expect(alice.response.status).toBe(200)
    expect(alice.response.headers.get('content-type')).toMatch(/^text\/event-stream/)
    await vi.waitFor(() => expect(hub.listeners).toBe(2))
    hub.notify('alice', 12)
    await vi.waitFor(() => expect(alice.text()).toContain('data: {"cursor":"12"}\n\n'))
    hub.notify('bob', 3)
    await vi.waitFor(() => expect(bob.text()).toContain('data: {"cursor":"3"}\n\n'))
    expect(bob.text()).not.toContain('"12"')
  })

  it('ends a stream when its credential expires (a JWT at its exp), long before heartbeat or age', async () => {
    const { app, url } = await startApp(new LocalHub(), 60_000, 3_600_000, new Set(), 300)
    apps.push(app)
    const alice = await openLive(url, 'alice')
    expect(alice.response.status).toBe(200)
    await vi.waitFor(() => expect(alice.ended()).toBe(true), { timeout: 10_000 })
  })

  it('keeps a stream whose credential expires after the stream’s own end (a month-long JWT)', async () => {
    const month = 30 * 24 * 3_600_000 // past setTimeout's 2^31 ms, which would fire at once
    const { app, url } = await startApp(new LocalHub(), 60_000, 3_600_000, new Set(), month)
    apps.push(app)
    const alice = await openLive(url, 'alice')
    expect(alice.response.status).toBe(200)
    await vi.waitFor(() => expect(alice.text()).toContain(': live'))
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(alice.ended()).toBe(false)
  })

  it('refuses a request without a token with 401 and the error body', async () => {
    const { app, url } = await startApp(new LocalHub())
    apps.push(app)
    const response = await fetch(url + ROUTES.live)
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({ error: { code: 'unauthorized' } })
  })

  it('answers 503 while the hub cannot deliver, so the client tries another node', async () => {
    const hub = new LocalHub()
    const { app, url } = await startApp(hub)
    apps.push(app)
    await hub.close()
    const response = await fetch(url + ROUTES.live, { headers: { authorization: 'Bearer alice' } })
    expect(response.status).toBe(503)
    expect(await response.json()).toMatchObject({ error: { code: 'unavailable' } })
  })

  it('sends heartbeat comments while idle', async () => {
    const { app, url } = await startApp(new LocalHub(), 20)
    apps.push(app)
    const alice = await openLive(url, 'alice')
    await vi.waitFor(() => expect(alice.text()).toContain(': heartbeat\n\n'))
  })

  it('ends a stream at its maximum age, so the client authenticates again', async () => {
    const hub = new LocalHub()
    const { app, url } = await startApp(hub, 10, 20)
    apps.push(app)
    const alice = await openLive(url, 'alice')
    await alice.reading
    expect(alice.ended()).toBe(true)
    await vi.waitFor(() => expect(hub.listeners).toBe(0))
  })

  it('ends a stream soon after its token stops authenticating (revoked); others stay open', async () => {
    const hub = new LocalHub()
    const revoked = new Set<string>()
    const { app, url } = await startApp(hub, 60_000, 3_600_000, revoked)
    apps.push(app)
    const alice = await openLive(url, 'alice')
    const bob = await openLive(url, 'bob')
    await vi.waitFor(() => expect(hub.listeners).toBe(2))
    revoked.add('alice')
    // Well before the hour of the stream's maximum age and any heartbeat.
    await vi.waitFor(() => expect(alice.ended()).toBe(true), { timeout: 10_000 })
    await vi.waitFor(() => expect(hub.listeners).toBe(1))
    hub.notify('bob', 7)
    await vi.waitFor(() => expect(bob.text()).toContain('data: {"cursor":"7"}\n\n'))
    expect(bob.ended()).toBe(false)
  })

  it('ends the stream and unsubscribes when the hub loses its pokes', async () => {
    const hub = new LocalHub()
    const lose: Array<() => void> = []
    const subscribe = hub.subscribe.bind(hub)
    hub.subscribe = (stream, listener) => {
      lose.push(() => listener.lost())
      return subscribe(stream, listener)
    }
    const { app, url } = await startApp(hub)
    apps.push(app)
    const alice = await openLive(url, 'alice')
    await vi.waitFor(() => expect(hub.listeners).toBe(1))
    for (const fn of lose) fn()
    await alice.reading
    expect(alice.ended()).toBe(true)
    await vi.waitFor(() => expect(hub.listeners).toBe(0))
  })

  it('lets the server close while streams are open, ending them cleanly', async () => {
    const hub = new LocalHub()
    const { app, url } = await startApp(hub)
    const streams = await Promise.all([
      openLive(url, 'alice'),
      openLive(url, 'alice'),
      openLive(url, 'bob'),
    ])
    await vi.waitFor(() => expect(hub.listeners).toBe(3))
    await app.close()
    await Promise.all(streams.map((s) => s.reading))
    expect(streams.map((s) => s.ended())).toEqual([true, true, true])
    expect(hub.listeners).toBe(0)
  })

  it('unsubscribes when the client goes away', async () => {
    const hub = new LocalHub()
    const { app, url } = await startApp(hub)
    apps.push(app)
    const abort = new AbortController()
    const response = await fetch(url + ROUTES.live, {
      headers: { authorization: 'Bearer alice' },
      signal: abort.signal,
    })
    expect(response.status).toBe(200)
    await vi.waitFor(() => expect(hub.listeners).toBe(1))
    abort.abort()
    await vi.waitFor(() => expect(hub.listeners).toBe(0))
  })
})
