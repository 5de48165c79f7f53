import { ROUTES } from '@tidings/protocol'
import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { addUser } from '../auth/users.js'
import { openStore } from '../store/kysely-store.js'
import type { Store } from '../store/store.js'
import { buildApp } from './app.js'
import { DEFAULT_RATE_LIMIT, parseRateLimit, type RateLimit } from './rate-limit-option.js'
import type { TrustProxy } from './trust-proxy.js'

describe('rate limiting', () => {
  let store: Store
  let app: FastifyInstance
  afterEach(async () => {
    vi.useRealTimers()
    await app?.close()
    await store?.close()
  })

  const start = async (rateLimit: RateLimit | false | undefined, trustProxy?: TrustProxy) => {
    store = await openStore('memory')
    app = await buildApp({
      store,
      ...(rateLimit !== undefined && { rateLimit }),
      ...(trustProxy !== undefined && { trustProxy }),
    })
    const alice = await addUser(store, 'alice', Date.now())
    const bob = await addUser(store, 'bob', Date.now())
    return { alice: alice.token, bob: bob.token }
  }
  const ids = (token: string) =>
    app.inject({
      method: 'GET',
      url: ROUTES.bundleIds,
      headers: { authorization: `Bearer ${token}` },
    })
  const health = (ip: string, forwardedFor?: string) =>
    app.inject({
      method: 'GET',
      url: ROUTES.health,
      remoteAddress: ip,
      ...(forwardedFor !== undefined && { headers: { 'x-forwarded-for': forwardedFor } }),
    })
  const as = (token: string, ip: string) =>
    app.inject({
      method: 'GET',
      url: ROUTES.bundleIds,
      remoteAddress: ip,
      headers: { authorization: `Bearer ${token}` },
    })

  it('answers 429 rate_limited with Retry-After past the limit of one token; other tokens go on', async () => {
    const { alice, bob } = await start({ max: 3, windowMs: 60_000 })
    for (let i = 0; i < 3; i++) expect((await ids(alice)).statusCode).toBe(200)
    const refused = await ids(alice)
    expect(refused.statusCode).toBe(429)
    expect(refused.json()).toMatchObject({
      error: { code: 'rate_limited', details: { retryAfterMs: expect.any(Number) } },
    })
    const retryAfter = Number(refused.headers['retry-after'])
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(60)
    expect((await ids(bob)).statusCode).toBe(200)
  })

  it('counts requests without a token per IP address', async () => {
    await start({ max: 2, windowMs: 60_000 })
    expect((await health('10.0.0.1')).statusCode).toBe(200)
    expect((await health('10.0.0.1')).statusCode).toBe(200)
    expect((await health('10.0.0.1')).json()).toMatchObject({ error: { code: 'rate_limited' } })
    expect((await health('10.0.0.2')).statusCode).toBe(200)
  })

  it('limits before authenticating, and counts failed authentications against the IP', async () => {
    const { alice } = await start({ max: 2, windowMs: 60_000 })
    // Guessing: a new token each time is a new token key, but the failures add up per IP.
    expect((await as('guess-1', '10.0.0.9')).statusCode).toBe(401)
    expect((await as('guess-2', '10.0.0.9')).statusCode).toBe(401)
    const held = await as('guess-3', '10.0.0.9')
    expect(held.statusCode).toBe(429)
    expect(Number(held.headers['retry-after'])).toBeGreaterThan(0)
    expect((await as(alice, '10.0.0.10')).statusCode).toBe(200)
  })

  it('never lets failed logins from an address lock out a valid token behind it (a proxy)', async () => {
    const { alice, bob } = await start({ max: 2, windowMs: 60_000 })
    const proxy = '10.0.0.1'
    // Someone behind the proxy guesses tokens until the proxy's address is held...
    expect((await as('guess-1', proxy)).statusCode).toBe(401)
    expect((await as('guess-2', proxy)).statusCode).toBe(401)
    expect((await as('guess-3', proxy)).statusCode).toBe(429)
    // ...yet every user with a valid token behind the same proxy is still served,
    expect((await as(alice, proxy)).statusCode).toBe(200)
    expect((await as(bob, proxy)).statusCode).toBe(200)
    // and the guesser is still held.
    expect((await as('guess-4', proxy)).json()).toMatchObject({ error: { code: 'rate_limited' } })
  })

  it('holds back one abusive user by default, and the other users go on', async () => {
    vi.useFakeTimers({ toFake: ['Date'] }) // one frozen window: no turnover mid-burst
    const { alice, bob } = await start(undefined)
    const statuses: number[] = []
    for (let i = 0; i < 1_000; i++) statuses.push((await ids(alice)).statusCode)
    expect(statuses.filter((s) => s === 200)).toHaveLength(DEFAULT_RATE_LIMIT.max)
    expect(statuses.filter((s) => s === 429)).toHaveLength(1_000 - DEFAULT_RATE_LIMIT.max)
    expect((await ids(bob)).statusCode).toBe(200)
  })

  it('counts each client behind a trusted proxy apart, by X-Forwarded-For', async () => {
    await start({ max: 2, windowMs: 60_000 }, ['10.0.0.1'])
    expect((await health('10.0.0.1', '203.0.113.7')).statusCode).toBe(200)
    expect((await health('10.0.0.1', '203.0.113.7')).statusCode).toBe(200)
    expect((await health('10.0.0.1', '203.0.113.7')).statusCode).toBe(429)
    expect((await health('10.0.0.1', '203.0.113.8')).statusCode).toBe(200)
    // A peer that is not the proxy cannot pick its address: it counts as itself.
    expect((await health('10.0.0.2', '203.0.113.9')).statusCode).toBe(200)
    expect((await health('10.0.0.2', '203.0.113.10')).statusCode).toBe(200)
    expect((await health('10.0.0.2', '203.0.113.11')).statusCode).toBe(429)
  })

  it('counts every client behind an untrusted proxy as the proxy (the default)', async () => {
    await start({ max: 2, windowMs: 60_000 })
    expect((await health('10.0.0.1', '203.0.113.7')).statusCode).toBe(200)
    expect((await health('10.0.0.1', '203.0.113.7')).statusCode).toBe(200)
    expect((await health('10.0.0.1', '203.0.113.8')).statusCode).toBe(429)
  })

  it('can be turned off', async () => {
    const { alice } = await start(false)
    for (let i = 0; i < 20; i++) expect((await ids(alice)).statusCode).toBe(200)
  })

  it('reads N/s, N/min, N/h and off; refuses anything else', () => {
    expect(parseRateLimit('50/s')).toEqual({ max: 50, windowMs: 1_000 })
    expect(parseRateLimit('600/min')).toEqual({ max: 600, windowMs: 60_000 })
    expect(parseRateLimit('1000/h')).toEqual({ max: 1000, windowMs: 3_600_000 })
    expect(parseRateLimit('off')).toBe(false)
    for (const bad of ['50', '0/s', '-1/s', '5/day', 'fast'])
      expect(() => parseRateLimit(bad)).toThrow(/rate limit/)
  })
})
