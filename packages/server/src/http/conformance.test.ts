import { newId, ROUTES } from '@tidings/protocol'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addUser, revokeUser } from '../auth/users.js'
import { openStore } from '../store/kysely-store.js'
import type { Store } from '../store/store.js'
import { TEST_BACKENDS, type TestDatabase } from '../testing/backends.js'
import { TestClient } from '../testing/fixtures.js'
import { type ErrorAnswer, injector, type PullAnswer } from '../testing/inject.js'
import { buildApp } from './app.js'
import { openapiPath } from './openapi-spaces.js'

/**
 * One suite, every backend: the HTTP API over SQLite (memory and file), PGlite and, when
 * reachable, a fresh database on the real Postgres.
 */
console.log(`[conformance] backends: ${TEST_BACKENDS.map((b) => b.name).join(', ')}`)

describe.each(TEST_BACKENDS)('conformance on $name', (backend) => {
  let database: TestDatabase
  let store: Store
  let app: FastifyInstance
  let small: FastifyInstance

  beforeAll(async () => {
    database = await backend.create()
    store = await openStore(database.url)
    app = await buildApp({ store, pageEvents: 100 })
    small = await buildApp({
      store,
      limits: {
        maxBundlesPerRequest: 2,
        maxEventsPerBundle: 3,
        maxValueBytes: 100,
        maxIdsPerRequest: 2,
        maxPageBundles: 5,
        maxBodyBytes: 1_800,
      },
    })
  })
  afterAll(async () => {
    await app?.close()
    await small?.close()
    await store?.close()
    await database?.dispose()
  })

  const newUser = async () => {
    const user = await addUser(store, `user-${newId().slice(-12)}`)
    return { ...user, api: injector(app, user.token), small: injector(small, user.token) }
  }

  it('acknowledges a pushed bundle and lists its id', async () => {
    const { api } = await newUser()
    const device = new TestClient()
    const bundle = device.bundle({ count: 3 })
    const res = await api.sync(device.syncBody([bundle]))
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ accepted: [bundle.id], bundles: [], more: false })
    expect((await api.ids()).body.ids).toEqual([bundle.id])
    expect((await api.get([bundle.id])).body.bundles).toEqual([bundle])
  })

  it('accepts a re-push of the same bundle without storing it twice', async () => {
    const { api } = await newUser()
    const device = new TestClient()
    const bundle = device.bundle({ count: 2 })
    const first = await api.sync(device.syncBody([bundle]))
    const again = await api.sync(device.syncBody([bundle, bundle]))
    expect(again.status).toBe(200)
    expect(again.body.accepted).toEqual([bundle.id])
    expect(again.body.cursor).toBe(first.body.cursor)
    expect(first.body.accepted).toEqual([bundle.id])
    expect((await api.ids()).body.ids).toEqual([bundle.id])
  })

  it('returns the other clients’ bundles after the cursor, never the caller’s own', async () => {
    const { api } = await newUser()
    const phone = new TestClient()
    const laptop = new TestClient()
    const fromPhone = [phone.bundle(), phone.bundle()]
    await api.sync(phone.syncBody(fromPhone))
    const first = await api.sync(laptop.syncBody([laptop.bundle()]))
    expect(first.body.bundles.map((b) => b.id)).toEqual(fromPhone.map((b) => b.id))
    const later = phone.bundle()
    await api.sync(phone.syncBody([later]))
    const second = await api.sync(laptop.syncBody([], first.body.cursor))
    expect(second.body.bundles.map((b) => b.id)).toEqual([later.id])
    const third = await api.sync(laptop.syncBody([], second.body.cursor))
    expect(third.body).toMatchObject({ bundles: [], more: false, cursor: second.body.cursor })
  })

  it('pages pulls by bundle count and reports more until the end', async () => {
    const { api } = await newUser()
    const device = new TestClient()
    const bundles = Array.from({ length: 7 }, () => device.bundle())
    await api.sync(device.syncBody(bundles))
    const seen: string[] = []
    const mores: boolean[] = []
    let cursor = ''
    for (let page = 0; page < 5; page++) {
      const res = await api.pull(`?after=${cursor}&limit=3`)
      expect(res.status).toBe(200)
      seen.push(...res.body.bundles.map((b) => b.id))
      mores.push(res.body.more)
      cursor = res.body.cursor
      if (!res.body.more) break
    }
    expect(seen).toEqual(bundles.map((b) => b.id))
    expect(mores).toEqual([true, true, false])
  })

  it('cuts pages at the page event budget, always returning at least one bundle', async () => {
    const { api } = await newUser()
    const device = new TestClient()
    // The app under test has a budget of 100 events per page.
    const bundles = [
      device.bundle({ count: 60 }),
      device.bundle({ count: 60 }),
      device.bundle({ count: 10 }),
    ]
    for (const bundle of bundles)
      expect((await api.sync(device.syncBody([bundle]))).status).toBe(200)
    const first = await api.pull()
    expect(first.body.bundles.map((b) => b.id)).toEqual([bundles[0]?.id])
    expect(first.body.more).toBe(true)
    const second = await api.pull(`?after=${first.body.cursor}`)
    expect(second.body.bundles.map((b) => b.id)).toEqual([bundles[1]?.id, bundles[2]?.id])
    expect(second.body.more).toBe(false)
  })

  it('fetches bundles by id, leaving out unknown ids and other users’ bundles alike', async () => {
    const alice = await newUser()
    const bob = await newUser()
    const a = new TestClient()
    const b = new TestClient()
    const mine = [a.bundle(), a.bundle()]
    const theirs = b.bundle()
    await alice.api.sync(a.syncBody(mine))
    await bob.api.sync(b.syncBody([theirs]))
    const res = await alice.api.get([mine[1]?.id, theirs.id, newId(), mine[0]?.id])
    expect(res.status).toBe(200)
    expect(res.body.bundles.map((x) => x.id)).toEqual(mine.map((x) => x.id))
  })

  it('keeps users apart: nothing of one user reaches another', async () => {
    const alice = await newUser()
    const bob = await newUser()
    const a = new TestClient()
    await alice.api.sync(a.syncBody([a.bundle()]))
    expect((await bob.api.ids()).body.ids).toEqual([])
    expect((await bob.api.pull()).body.bundles).toEqual([])
    const b = new TestClient()
    expect((await bob.api.sync(b.syncBody([], null))).body.bundles).toEqual([])
  })

  it('registers a client to its user at first use and refuses it to anyone else', async () => {
    const alice = await newUser()
    const bob = await newUser()
    const device = new TestClient()
    expect((await alice.api.sync(device.syncBody([]))).status).toBe(200)
    expect((await store.registerClients(bob.id, [device.id], Date.now())).get(device.id)).toBe(
      alice.id,
    )
    const stolen = await bob.api.sync<ErrorAnswer>(device.syncBody([device.bundle()]))
    expect(stolen.status).toBe(403)
    expect(stolen.body.error.code).toBe('forbidden')
    // A bundle naming alice's client inside bob's request is refused the same way.
    const other = new TestClient()
    const smuggled = await bob.api.sync<ErrorAnswer>(other.syncBody([device.bundle()]))
    expect(smuggled.status).toBe(403)
    expect((await bob.api.ids()).body.ids).toEqual([])
  })

  it('refuses an event id stored with other content, and a bundle id reused with other events', async () => {
    const { api } = await newUser()
    const device = new TestClient()
    const original = device.bundle()
    await api.sync(device.syncBody([original]))
    const event = original.events[0]
    if (!event) throw new Error('fixture has an event')
    const rewritten = device.bundle({ events: [{ ...event, value: 'overwritten' }] })
    const eventClash = await api.sync<ErrorAnswer>(device.syncBody([rewritten]))
    expect(eventClash.status).toBe(409)
    expect(eventClash.body.error).toMatchObject({ code: 'conflict', details: { event: event.id } })
    const reused = { ...device.bundle(), id: original.id }
    const bundleClash = await api.sync<ErrorAnswer>(device.syncBody([reused]))
    expect(bundleClash.status).toBe(409)
    expect(bundleClash.body.error).toMatchObject({
      code: 'conflict',
      details: { bundle: original.id },
    })
    expect((await api.ids()).body.ids).toEqual([original.id])
    expect((await api.get([original.id])).body.bundles).toEqual([original])
  })

  it('stores nothing of a request when one of its bundles is refused', async () => {
    const { api } = await newUser()
    const device = new TestClient()
    const stored = device.bundle()
    await api.sync(device.syncBody([stored]))
    const fine = device.bundle()
    const clash = { ...device.bundle(), id: stored.id }
    expect((await api.sync(device.syncBody([fine, clash]))).status).toBe(409)
    expect((await api.ids()).body.ids).toEqual([stored.id])
  })

  it('refuses HLCs too far ahead of the server clock', async () => {
    const { api } = await newUser()
    const ahead = new TestClient(() => Date.now() + 10 * 60_000)
    const res = await api.sync<ErrorAnswer>(ahead.syncBody([ahead.bundle()]))
    expect(res.status).toBe(422)
    expect(res.body.error.code).toBe('clock_drift')
    expect((await api.ids()).body.ids).toEqual([])
  })

  it('refuses a missing, unknown or revoked token with 401', async () => {
    const user = await newUser()
    expect((await injector(app, null).ids()).status).toBe(401)
    expect((await injector(app, 'not-a-token').ids()).status).toBe(401)
    expect((await user.api.ids()).status).toBe(200)
    await revokeUser(store, user.name)
    const revoked = await user.api.ids()
    expect(revoked.status).toBe(401)
    expect((revoked.body as unknown as ErrorAnswer).error.code).toBe('unauthorized')
    // The message names the command that fixes it: a new token for an existing user.
    expect((revoked.body as unknown as ErrorAnswer).error.message).toContain('tidings user token')
  })

  it('enforces every configured limit with too_large, storing nothing', async () => {
    const { small } = await newUser()
    const device = new TestClient()
    const refusals = [
      await small.sync<ErrorAnswer>(
        device.syncBody([device.bundle(), device.bundle(), device.bundle()]),
      ),
      await small.sync<ErrorAnswer>(device.syncBody([device.bundle({ count: 4 })])),
      await small.sync<ErrorAnswer>(device.syncBody([device.bundle({ value: 'x'.repeat(200) })])),
      await small.sync<ErrorAnswer>(
        device.syncBody([
          device.bundle({ count: 3, value: 'y'.repeat(90) }),
          device.bundle({ count: 3, value: 'z'.repeat(90) }),
        ]),
      ),
      await small.get<ErrorAnswer>([newId(), newId(), newId()]),
    ]
    expect(refusals.map((r) => [r.status, r.body.error?.code])).toEqual(
      Array(5).fill([413, 'too_large']),
    )
    expect((await small.ids()).body.ids).toEqual([])
    // A page limit over the maximum is a malformed query, not a big one.
    const tooLong = await small.pull<ErrorAnswer>('?limit=6')
    expect([tooLong.status, tooLong.body.error.code]).toEqual([400, 'bad_request'])
    const page = await small.pull<PullAnswer>('?limit=5')
    expect(page.status).toBe(200)
  })

  it('describes every route in the OpenAPI document', async () => {
    const res = await app.inject({ method: 'GET', url: ROUTES.openapi })
    const doc = res.json() as { openapi: string; paths: Record<string, unknown> }
    expect(doc.openapi).toBe('3.1.0')
    // In OpenAPI's own templating: `:space` is written `{space}`.
    expect(Object.keys(doc.paths).sort()).toEqual(Object.values(ROUTES).map(openapiPath).sort())
  })
})
