import { isTidingsError, ROUTES } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { openStore } from '../store/kysely-store.js'
import { buildApp } from './app.js'
import { parseCorsOrigins } from './cors-origins.js'

const APP = 'https://app.example.com'

/** A browser's preflight before a cross-origin request with a bearer token. */
const preflight = (url: string, method: string, origin = APP) => ({
  method: 'OPTIONS' as const,
  url,
  headers: {
    origin,
    'access-control-request-method': method,
    'access-control-request-headers': 'authorization,content-type',
  },
})

const appWith = async (cors?: '*' | string[], rateLimit?: { max: number; windowMs: number }) => {
  const store = await openStore('memory')
  const app = await buildApp({
    store,
    ...(cors && { cors }),
    ...(rateLimit && { rateLimit }),
  })
  const close = async () => {
    await app.close()
    await store.close()
  }
  return { app, close }
}

describe('CORS: an app served from another origin', () => {
  it('is refused by default: no preflight route, no allow-origin header', async () => {
    const { app, close } = await appWith()
    const answer = await app.inject(preflight(ROUTES.sync, 'POST'))
    expect(answer.statusCode).toBe(404)
    expect(answer.headers['access-control-allow-origin']).toBeUndefined()
    await close()
  })

  it('answers the preflight of every route, the live stream and the space routes included', async () => {
    const { app, close } = await appWith([APP])
    for (const [url, method] of [
      [ROUTES.sync, 'POST'],
      [ROUTES.live, 'GET'],
      [ROUTES.bundleIds, 'GET'],
      [ROUTES.spaces, 'POST'],
      ['/v1/spaces/0190c1d2-0000-7000-8000-000000000000/members/x', 'PUT'],
      ['/v1/spaces/0190c1d2-0000-7000-8000-000000000000/members/x', 'DELETE'],
    ] as const) {
      const answer = await app.inject(preflight(url, method))
      expect(answer.statusCode, `${method} ${url}`).toBe(204)
      expect(answer.headers['access-control-allow-origin']).toBe(APP)
      expect(String(answer.headers['access-control-allow-methods'])).toContain(method)
      expect(String(answer.headers['access-control-allow-headers'])).toContain('authorization')
    }
    await close()
  })

  it('marks real answers (refusals too, so the page can read the error) and exposes Retry-After', async () => {
    const { app, close } = await appWith([APP])
    const answer = await app.inject({
      method: 'POST',
      url: ROUTES.sync,
      headers: { origin: APP, 'content-type': 'application/json' },
      payload: '{}',
    })
    expect(answer.statusCode).toBe(401)
    expect(answer.headers['access-control-allow-origin']).toBe(APP)
    expect(String(answer.headers['access-control-expose-headers'])).toContain('retry-after')
    await close()
  })

  it('gives an origin not on the list nothing to go on', async () => {
    const { app, close } = await appWith([APP])
    const answer = await app.inject(preflight(ROUTES.sync, 'POST', 'https://evil.example'))
    expect(answer.headers['access-control-allow-origin']).toBeUndefined()
    await close()
  })

  it('allows any origin with *', async () => {
    const { app, close } = await appWith('*')
    const answer = await app.inject(preflight(ROUTES.sync, 'POST', 'http://localhost:5173'))
    expect(answer.statusCode).toBe(204)
    expect(answer.headers['access-control-allow-origin']).toBe('*')
    await close()
  })

  it('never rate limits a preflight (it carries no token)', async () => {
    const { app, close } = await appWith([APP], { max: 2, windowMs: 60_000 })
    const statuses = new Set<number>()
    for (let i = 0; i < 10; i++)
      statuses.add((await app.inject(preflight(ROUTES.sync, 'POST'))).statusCode)
    expect([...statuses]).toEqual([204])
    await close()
  })
})

describe('parseCorsOrigins', () => {
  it('reads * and lists of origins', () => {
    expect(parseCorsOrigins('*')).toBe('*')
    expect(parseCorsOrigins(`${APP}, http://localhost:5173`)).toEqual([
      APP,
      'http://localhost:5173',
    ])
  })

  it('refuses what a browser would never send as an Origin, with bad_request', () => {
    for (const bad of ['', 'app.example.com', `${APP}/`, `${APP}/path`, 'ftp://x.example'])
      expect(
        (() => {
          try {
            parseCorsOrigins(bad)
          } catch (error) {
            return isTidingsError(error, 'bad_request')
          }
          return false
        })(),
        bad,
      ).toBe(true)
  })
})
