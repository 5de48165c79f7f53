/**
 * What spaces cost (issue 12): `POST /v1/sync` with nothing changed for a user in 1 vs 200
 * shared spaces, and a push into a space of 1 vs 1,000 members, on SQLite (file) and Postgres.
 * Not a test: numbers depend on the machine.
 *
 *   node --import tsx --conditions=@tidings/source packages/server/scripts/spaces-scale.ts
 */
import { newId, SYNC_PROTOCOL } from '@tidings/protocol'
import { addUser } from '../src/auth/users.js'
import { buildApp } from '../src/http/app.js'
import { openStore } from '../src/store/kysely-store.js'
import type { Store } from '../src/store/store.js'
import { freshPostgres, postgresReachable, tempSqlite } from '../src/testing/backends.js'
import { TestClient } from '../src/testing/fixtures.js'
import { injector } from '../src/testing/inject.js'
import { SpaceFixture } from '../src/testing/space-fixture.js'

const ROUNDS = 300

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

const time = async (rounds: number, work: () => Promise<unknown>): Promise<number> => {
  for (let i = 0; i < 20; i++) await work() // warm up
  const samples: number[] = []
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint()
    await work()
    samples.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  return median(samples)
}

/** Median ms of a sync that finds nothing new, for a user in `count` shared spaces. */
const idleSync = async (store: Store, count: number, protocol = SYNC_PROTOCOL): Promise<number> => {
  const app = await buildApp({ store, rateLimit: false })
  const user = await addUser(store, `idle-${newId().slice(-12)}`)
  const fixture = new SpaceFixture(store)
  const device = new TestClient()
  const api = injector(app, user.token)
  for (let i = 0; i < count; i++) {
    const space = await fixture.createSpace(user.id, `space ${i}`)
    await store.push({ stream: user.id, bundles: [{ ...device.bundle(), space }], now: Date.now() })
  }
  let cursor: string | null = null
  for (;;) {
    const answer = await api.sync<{ cursor: string; more: boolean }>({
      protocol,
      ...device.syncBody([], cursor),
    })
    cursor = answer.body.cursor
    if (!answer.body.more) break
  }
  const ms = await time(ROUNDS, async () => {
    const answer = await api.sync<{ bundles: unknown[] }>({
      protocol,
      ...device.syncBody([], cursor),
    })
    if (answer.status !== 200 || answer.body.bundles.length > 0)
      throw new Error(`an idle sync answered ${answer.status}`)
  })
  await app.close()
  return ms
}

/** Median ms of a one-bundle push into a space of `members` members (store level). */
const pushInto = async (store: Store, members: number): Promise<number> => {
  const fixture = new SpaceFixture(store)
  const owner = newId()
  const space = await fixture.createSpace(owner)
  for (let i = 1; i < members; i++) await fixture.join(space, newId(), 'reader')
  const device = new TestClient()
  return time(ROUNDS, () =>
    store.push({ stream: owner, bundles: [{ ...device.bundle(), space }], now: Date.now() }),
  )
}

/** The same push into the pusher's private stream, for comparison. */
const pushPrivate = async (store: Store): Promise<number> => {
  const device = new TestClient()
  const user = newId()
  return time(ROUNDS, () =>
    store.push({ stream: user, bundles: [device.bundle()], now: Date.now() }),
  )
}

const databases = [
  { name: 'sqlite file', create: tempSqlite },
  ...((await postgresReachable()) ? [{ name: 'postgres', create: () => freshPostgres() }] : []),
]
const rows: string[] = ['| backend | measure | ms (median) |', '| --- | --- | --- |']
for (const { name, create } of databases) {
  const database = await create()
  const store = await openStore(database.url)
  try {
    for (const protocol of [2, SYNC_PROTOCOL])
      rows.push(
        `| ${name} | sync, nothing changed, no shared space, protocol ${protocol} | ${(await idleSync(store, 0, protocol)).toFixed(3)} |`,
      )
    rows.push(
      `| ${name} | sync, nothing changed, 1 space | ${(await idleSync(store, 1)).toFixed(3)} |`,
    )
    rows.push(
      `| ${name} | sync, nothing changed, 200 spaces | ${(await idleSync(store, 200)).toFixed(3)} |`,
    )
    rows.push(`| ${name} | push, private space | ${(await pushPrivate(store)).toFixed(3)} |`)
    rows.push(`| ${name} | push, space of 1 member | ${(await pushInto(store, 1)).toFixed(3)} |`)
    rows.push(
      `| ${name} | push, space of 1,000 members | ${(await pushInto(store, 1_000)).toFixed(3)} |`,
    )
  } finally {
    await store.close()
    await database.dispose()
  }
}
console.log(rows.join('\n'))
