import { newId, ROUTES } from '@tidings/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../server.js'
import { type TestDatabase, tempSqlite } from '../testing/backends.js'
import { TestClient } from '../testing/fixtures.js'

/**
 * Hostile and broken requests over a real socket: each gets its documented status and code,
 * the server stays up, and the stored data is exactly what it was before.
 */
describe('bad input over HTTP', () => {
  let database: TestDatabase
  let server: RunningServer
  let alice: { token: string }
  let bob: { token: string }
  const device = new TestClient()
  const stored = device.bundle({ count: 2 })

  const post = (
    path: string,
    body: string | Uint8Array,
    headers: Record<string, string> = {},
    token = alice.token,
  ) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
      body,
    })

  /** Every bundle of alice's stream, in order: what must not change. */
  const snapshot = async (): Promise<unknown> => {
    const res = await fetch(`${server.url}${ROUTES.bundles}?limit=1000`, {
      headers: { authorization: `Bearer ${alice.token}` },
    })
    return res.json()
  }

  const expectRefusal = async (res: Response, status: number, code: string) => {
    const body = (await res.json()) as { error: { code: string; message: string } }
    expect({ status: res.status, code: body.error.code }).toEqual({ status, code })
    expect(body.error.message.length).toBeGreaterThan(0)
  }

  let before: unknown

  beforeAll(async () => {
    database = await tempSqlite()
    server = await startServer({ db: database.url, port: 0 })
    alice = await server.addUser('alice')
    bob = await server.addUser('bob')
    const res = await post(ROUTES.sync, JSON.stringify(device.syncBody([stored])))
    expect(res.status).toBe(200)
    before = await snapshot()
  })
  afterAll(async () => {
    await server?.close()
    await database?.dispose()
  })

  const sync = (body: unknown, token?: string) => post(ROUTES.sync, JSON.stringify(body), {}, token)

  const cases: Array<[string, () => Promise<Response>, number, string]> = [
    ['malformed JSON', () => post(ROUTES.sync, '{"client": '), 400, 'bad_request'],
    ['a JSON body that is not an object', () => post(ROUTES.sync, '[1,2]'), 400, 'bad_request'],
    [
      'wrong content type',
      () =>
        post(ROUTES.sync, JSON.stringify(device.syncBody([])), { 'content-type': 'text/plain' }),
      415,
      'bad_request',
    ],
    [
      'an unknown top-level field',
      () => sync({ ...device.syncBody([device.bundle()]), admin: true }),
      400,
      'bad_request',
    ],
    [
      'an unknown event field',
      () => {
        const bundle = device.bundle()
        return sync(
          device.syncBody([{ ...bundle, events: bundle.events.map((e) => ({ ...e, extra: 1 })) }]),
        )
      },
      400,
      'bad_request',
    ],
    [
      'a __proto__ key',
      () => post(ROUTES.sync, `{"__proto__": {"x": 1}, "client": "${device.id}"}`),
      400,
      'bad_request',
    ],
    [
      'a body over the size limit',
      () => post(ROUTES.sync, `"${'x'.repeat(16 * 1024 * 1024)}"`),
      413,
      'too_large',
    ],
    [
      'a bundle of 0 events',
      () => sync(device.syncBody([{ ...device.bundle(), events: [] }])),
      400,
      'bad_request',
    ],
    [
      'a bundle of 10,001 events',
      () => sync(device.syncBody([device.bundle({ count: 10_001 })])),
      413,
      'too_large',
    ],
    [
      'an HLC one year ahead',
      () => {
        const future = new TestClient(() => Date.now() + 365 * 24 * 3_600_000)
        return sync({ ...future.syncBody([future.bundle()]), client: future.id })
      },
      422,
      'clock_drift',
    ],
    [
      'no token',
      () =>
        fetch(`${server.url}${ROUTES.sync}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(device.syncBody([device.bundle()])),
        }),
      401,
      'unauthorized',
    ],
    [
      'a wrong token',
      () => sync(device.syncBody([device.bundle()]), 'x'.repeat(43)),
      401,
      'unauthorized',
    ],
    [
      'another user’s client id',
      () => sync(device.syncBody([device.bundle()]), bob.token),
      403,
      'forbidden',
    ],
    [
      'an event id stored with other content',
      () => {
        const first = stored.events[0]
        if (!first) throw new Error('fixture has events')
        return sync(
          device.syncBody([
            device.bundle({ events: [{ ...first, value: 'changed', hlc: device.clock.send() }] }),
          ]),
        )
      },
      409,
      'conflict',
    ],
    [
      'a bundle id reused with other events',
      () => sync(device.syncBody([{ ...device.bundle(), id: stored.id }])),
      409,
      'conflict',
    ],
    [
      'a bundle whose events name another client',
      () => {
        const other = new TestClient()
        const bundle = device.bundle()
        return sync(device.syncBody([{ ...bundle, events: [other.event()] }]))
      },
      400,
      'bad_request',
    ],
    [
      'an id that is not a UUID',
      () => post(ROUTES.getBundles, JSON.stringify({ ids: ['../../etc/passwd'] })),
      400,
      'bad_request',
    ],
  ]

  it.each(cases)('refuses %s, storing nothing', async (_name, send, status, code) => {
    await expectRefusal(await send(), status, code)
    expect(await snapshot()).toEqual(before)
  })

  it('stays up and answers health after all of it', async () => {
    const res = await fetch(`${server.url}${ROUTES.health}`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ ok: true })
    const again = await sync(device.syncBody([stored]))
    expect(((await again.json()) as { accepted: string[] }).accepted).toEqual([stored.id])
    expect(await snapshot()).toEqual(before)
    expect(newId()).not.toBe(stored.id)
  })
})
