import { ROUTES } from '@tidings/protocol'
import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { addUser } from '../auth/users.js'
import { openStore } from '../store/kysely-store.js'
import type { Store } from '../store/store.js'
import { buildApp } from './app.js'
import { parseRateLimit, type RateLimit } from './rate-limit-option.js'

describe('rate limiting', () => {
  let store: Store
  let app: FastifyInstance
  afterEach(async () => {
    await app?.close()
    await store?.close()
  })

  const start = async (rateLimit: RateLimit | false) => {
    store = await openStore('memory')
    app = await buildApp({ store, rateLimit })
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
  const health = (ip: string) =>
    app.inject({ method: 'GET', url: ROUTES.health, remoteAddress: ip })

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
    const as = (token: string, ip: string) =>
      app.inject({
        method: 'GET',
        url: ROUTES.bundleIds,
        remoteAddress: ip,
        headers: { authorization: `Bearer ${token}` },
      })
    // Guessing: a new token each time is a new token key, but the failures add up per IP.
    expect((await as('guess-1', '10.0.0.9')).statusCode).toBe(401)
    expect((await as('guess-2', '10.0.0.9')).statusCode).toBe(401)
    const held = await as('guess-3', '10.0.0.9')
    expect(held.statusCode).toBe(429)
    expect(Number(held.headers['retry-after'])).toBeGreaterThan(0)
    expect((await as(alice, '10.0.0.10')).statusCode).toBe(200)
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
