import { newId } from '@tidings/protocol'
import type { FastifyInstance } from 'fastify'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addUser } from '../auth/users.js'
import { openStore } from '../store/kysely-store.js'
import type { Store } from '../store/store.js'
import {
  freshPostgres,
  hasPostgres,
  TEST_BACKENDS,
  TEST_POSTGRES_URL,
  type TestDatabase,
} from '../testing/backends.js'
import { TestClient } from '../testing/fixtures.js'
import { injector } from '../testing/inject.js'
import { buildApp } from './app.js'

const RACERS = 50

/**
 * Requests that race on the same rows answer what the contract says (accepted, 403, 409),
 * never 500. Several apps over one database stand for several server nodes: each has its own
 * client-owner cache, so every request goes to the database.
 */
describe.each(TEST_BACKENDS)('concurrent syncs on $name', (backend) => {
  let database: TestDatabase
  let stores: Store[] = []
  let apps: FastifyInstance[] = []

  beforeAll(async () => {
    database = await backend.create()
    const count = backend.name.startsWith('postgres') ? 3 : 1
    stores = await Promise.all(Array.from({ length: count }, () => openStore(database.url)))
    apps = await Promise.all(stores.map((store) => buildApp({ store })))
  })
  afterAll(async () => {
    for (const app of apps) await app.close()
    for (const store of stores) await store.close()
    await database?.dispose()
  })

  const newUser = async () => {
    const user = await addUser(stores[0] as Store, `user-${newId().slice(-12)}`)
    return apps.map((app) => injector(app, user.token))
  }

  it('registers one new client id once when 50 first syncs race', async () => {
    const apis = await newUser()
    const device = new TestClient()
    const bundles = Array.from({ length: RACERS }, () => device.bundle({ count: 2 }))
    const answers = await Promise.all(
      bundles.map((b, i) => apis[i % apis.length]?.sync(device.syncBody([b]))),
    )
    expect(answers.map((a) => a?.status)).toEqual(bundles.map(() => 200))
    const ids = (await apis[0]?.ids())?.body.ids ?? []
    expect(new Set(ids)).toEqual(new Set(bundles.map((b) => b.id)))
  })

  it('accepts the same bundle from 50 racing requests and stores it once', async () => {
    const apis = await newUser()
    const device = new TestClient()
    const bundle = device.bundle({ count: 20 })
    const answers = await Promise.all(
      Array.from({ length: RACERS }, (_, i) =>
        apis[i % apis.length]?.sync(device.syncBody([bundle])),
      ),
    )
    for (const answer of answers) {
      expect(answer?.status).toBe(200)
      expect(answer?.body.accepted).toEqual([bundle.id])
    }
    expect((await apis[0]?.ids())?.body.ids).toEqual([bundle.id])
  })

  it('answers 409 to the losers, never 500, when one event id races with other content', async () => {
    const apis = await newUser()
    const device = new TestClient()
    const shared = newId()
    const bundles = Array.from({ length: RACERS }, (_, i) =>
      device.bundle({ events: [device.event({ id: shared, value: `v${i}` })] }),
    )
    const answers = await Promise.all(
      bundles.map((b, i) => apis[i % apis.length]?.sync(device.syncBody([b]))),
    )
    const statuses = answers.map((a) => a?.status)
    expect(statuses.filter((s) => s === 200)).toHaveLength(1)
    expect(statuses.filter((s) => s === 409)).toHaveLength(RACERS - 1)
  })

  it('gives a client id raced by two users to one of them; the other gets 403', async () => {
    const [alice, bob] = [await newUser(), await newUser()]
    const device = new TestClient()
    const answers = await Promise.all(
      Array.from({ length: RACERS }, (_, i) => {
        const apis = i % 2 === 0 ? alice : bob
        return apis[i % apis.length]?.sync(device.syncBody([device.bundle()]))
      }),
    )
    const byUser = [0, 1].map((parity) =>
      answers.filter((_, i) => i % 2 === parity).map((a) => a?.status),
    )
    const winner = byUser.findIndex((s) => s[0] === 200)
    expect(byUser[winner]?.every((s) => s === 200)).toBe(true)
    expect(byUser[1 - winner]?.every((s) => s === 403)).toBe(true)
  })

  it('answers 200 to 50 racing syncs that each register several new clients', async () => {
    const apis = await newUser()
    const devices = Array.from({ length: 6 }, () => new TestClient())
    const answers = await Promise.all(
      Array.from({ length: RACERS }, (_, i) => {
        // Each request names the same new clients in another order: lock order races.
        const order = [...devices].sort(() => (i % 2 === 0 ? 1 : -1) * (i % 3) - 1)
        const [first] = order
        const bundles = order.map((d) => d.bundle())
        return apis[i % apis.length]?.sync((first as TestClient).syncBody(bundles))
      }),
    )
    expect(answers.map((a) => a?.status)).toEqual(answers.map(() => 200))
  })
})

/** Lost connections, as pg and Postgres report them; a request that met one may well work later. */
const CONNECTION_FAILURES: Array<[string, Error]> = [
  [
    'a terminated backend (57P01)',
    Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
    }),
  ],
  ['a dead socket', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })],
  ['a connection lost mid-query', new Error('Connection terminated unexpectedly')],
  ['an exhausted pool', new Error('timeout exceeded when trying to connect')],
  [
    'a refused connect',
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
  ],
  ['a deadlock', Object.assign(new Error('deadlock detected'), { code: '40P01' })],
]

describe('database failures on /v1/sync', () => {
  it.each(CONNECTION_FAILURES)('answer 503 unavailable, not 500, for %s', async (_, failure) => {
    const store = await openStore('memory')
    const failing = new Proxy(store, {
      get: (target, key) =>
        key === 'sync' ? () => Promise.reject(failure) : Reflect.get(target, key, target),
    })
    const app = await buildApp({ store: failing })
    try {
      const user = await addUser(store, 'alice')
      const device = new TestClient()
      const answer = await injector(app, user.token).sync<{
        error: { code: string; message: string }
      }>(device.syncBody([device.bundle()]))
      expect(answer.status).toBe(503)
      expect(answer.body.error.code).toBe('unavailable')
      // The driver's words stay in the log: they may name hosts and users.
      expect(answer.body.error.message).not.toContain(failure.message)
    } finally {
      await app.close()
      await store.close()
    }
  })

  it('still answers 500 internal for a bug that is no database failure', async () => {
    const store = await openStore('memory')
    const failing = new Proxy(store, {
      get: (target, key) =>
        key === 'sync'
          ? () => Promise.reject(new TypeError('x is undefined'))
          : Reflect.get(target, key, target),
    })
    const app = await buildApp({ store: failing })
    try {
      const user = await addUser(store, 'alice')
      const device = new TestClient()
      const answer = await injector(app, user.token).sync(device.syncBody([device.bundle()]))
      expect(answer.status).toBe(500)
    } finally {
      await app.close()
      await store.close()
    }
  })
})

describe.skipIf(!hasPostgres)(
  'syncs while Postgres terminates the connections (real Postgres)',
  () => {
    it('answer 200 on the pooled connections found dead (the store runs the idempotent work again)', async () => {
      const database = await freshPostgres()
      const store = await openStore(database.url)
      const app = await buildApp({ store })
      const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL })
      await admin.connect()
      try {
        const user = await addUser(store, 'alice')
        const api = injector(app, user.token)
        const device = new TestClient()
        const round = () =>
          Promise.all(
            Array.from({ length: 30 }, () =>
              api.sync(device.syncBody([device.bundle({ count: 5 })])),
            ),
          )
        expect((await round()).map((a) => a.status)).toEqual(Array(30).fill(200))
        // Every pooled connection dies while idle: the pool learns it only on use.
        await admin.query(
          'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1',
          [new URL(database.url).pathname.slice(1)],
        )
        const statuses = (await round()).map((a) => a.status)
        expect(statuses).toEqual(Array(30).fill(200))
        expect((await api.ids()).body.ids).toHaveLength(60)
      } finally {
        await admin.end()
        await app.close()
        await store.close()
        await database.dispose()
      }
    })
  },
)
