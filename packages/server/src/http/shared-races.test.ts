import { newId, SYNC_PROTOCOL } from '@tidings/protocol'
import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addUser } from '../auth/users.js'
import { openStore } from '../store/kysely-store.js'
import type { Database } from '../store/schema.js'
import type { Store } from '../store/store.js'
import { freshPostgres, hasPostgres, type TestDatabase } from '../testing/backends.js'
import { TestClient } from '../testing/fixtures.js'
import { injector } from '../testing/inject.js'
import { SpaceFixture } from '../testing/space-fixture.js'
import { buildApp } from './app.js'

const RACERS = 40
const ROUNDS = 4

if (!hasPostgres)
  console.warn('Postgres is not reachable: the push-racing-a-removal test did not run')

/**
 * Invariant 6 on real Postgres: a writer's pushes race its removal, through three server nodes
 * (apps with their own pools on one database). Every push either committed before the removal
 * (its position is at or below the space's head when the removal took the lock) or was refused
 * with `forbidden`, storing nothing: none lands after it.
 */
describe.skipIf(!hasPostgres)('pushes racing a removal (real Postgres)', () => {
  let database: TestDatabase
  let stores: Store[] = []
  let apps: FastifyInstance[] = []
  beforeAll(async () => {
    database = await freshPostgres()
    stores = await Promise.all([1, 2, 3].map(() => openStore(database.url)))
    apps = await Promise.all(stores.map((store) => buildApp({ store })))
  })
  afterAll(async () => {
    for (const app of apps) await app.close()
    for (const store of stores) await store.close()
    await database?.dispose()
  })

  it('either commit before the removal or are refused, never after it', async () => {
    const store = stores[0] as Store
    const db = (store as unknown as { db: Kysely<Database> }).db
    const fixture = new SpaceFixture(store)
    for (let round = 0; round < ROUNDS; round++) {
      const owner = await addUser(store, `owner-${newId().slice(-12)}`)
      const writer = await addUser(store, `writer-${newId().slice(-12)}`)
      const space = await fixture.createSpace(owner.id)
      await fixture.join(space, writer.id, 'writer')
      const apis = apps.map((app) => injector(app, writer.token))
      const devices = [new TestClient(), new TestClient(), new TestClient()]
      const bundles = Array.from({ length: RACERS }, (_, i) => ({
        ...(devices[i % devices.length] as TestClient).bundle(),
        space,
      }))
      const pushes = bundles.map((bundle, i) =>
        apis[i % apis.length]?.sync({
          protocol: SYNC_PROTOCOL,
          ...(devices[i % devices.length] as TestClient).syncBody([bundle]),
        }),
      )
      const removal = fixture.remove(space, writer.id)
      const [answers, removed] = await Promise.all([Promise.all(pushes), removal])
      const removedAt = removed ?? Number.NaN // a member: never null
      const stored = new Map(
        (
          await db.selectFrom('bundles').select(['id', 'seq']).where('stream', '=', space).execute()
        ).map((r) => [r.id, Number(r.seq)]),
      )
      answers.forEach((answer, i) => {
        const id = (bundles[i] as { id: string }).id
        expect([200, 403]).toContain(answer?.status)
        if (answer?.status === 200) expect(stored.get(id)).toBeLessThanOrEqual(removedAt)
        else expect(stored.has(id)).toBe(false)
      })
      expect([...stored.values()].every((seq) => seq <= removedAt)).toBe(true)
    }
  })
})
