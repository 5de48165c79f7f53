import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { newId } from '@tidings/protocol'
import { Migrator } from 'kysely'
import { describe, expect, it } from 'vitest'
import { freshPostgres, hasPostgres, tempSqlite } from '../../testing/backends.js'
import { TestClient } from '../../testing/fixtures.js'
import type { Backend } from '../dialects/family.js'
import { openPglite } from '../dialects/pglite-backend.js'
import { openPostgres } from '../dialects/postgres-backend.js'
import { openSqlite } from '../dialects/sqlite-backend.js'
import { KyselyStore, openStore } from '../kysely-store.js'
import type { Store } from '../store.js'
import { migrationProvider } from './index.js'

/** The last migration of the release before shared spaces. */
const RELEASED = '0004-identities'

interface Database {
  url: string
  /** Opens it with no migration run. */
  connect(): Promise<Backend>
  dispose(): Promise<void>
}

const databases: Array<{ name: string; create(): Promise<Database> }> = [
  {
    name: 'sqlite file',
    create: async () => {
      const db = await tempSqlite()
      return { ...db, connect: async () => openSqlite(db.url.slice('sqlite:'.length)) }
    },
  },
  {
    name: 'pglite directory',
    create: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'tidings-pglite-'))
      return {
        url: `pglite:${dir}`,
        connect: () => openPglite(dir),
        dispose: () => rm(dir, { recursive: true, force: true }),
      }
    },
  },
  ...(hasPostgres
    ? [
        {
          name: 'postgres',
          create: async () => {
            const db = await freshPostgres()
            return { ...db, connect: async () => openPostgres(db.url) }
          },
        },
      ]
    : []),
]

/** Everything a user's devices can read back: their bundles, in order, and their ids. */
const snapshot = async (store: Store, users: string[]) => {
  const all = []
  for (const user of users) {
    const page = await store.pull({ stream: user, after: 0, limit: 1_000, maxEvents: 100_000 })
    all.push({ user, bundles: page.bundles, cursor: page.cursor, ids: await store.bundleIds(user) })
  }
  return { users: await store.listUsers(), streams: all }
}

describe.each(databases)('migration 0005 (shared spaces) on $name', (kind) => {
  it('migrates a database made by the release before it with no data moved or lost', async () => {
    const database = await kind.create()
    try {
      // The release before: its migrations only, then users, identities and bundles.
      const backend = await database.connect()
      const migrated = await new Migrator({
        db: backend.db,
        provider: migrationProvider(backend.family),
      }).migrateTo(RELEASED)
      expect(migrated.error).toBeUndefined()
      const old = new KyselyStore(backend)
      const users = [newId(), newId()]
      for (const [i, id] of users.entries())
        await old.createUser({ id, name: `before-${i}`, tokenHash: `hash-${id}`, now: 1_000 + i })
      const identity = await old.userOfIdentity({
        issuer: 'https://id.example',
        subject: 'sub-1',
        id: newId(),
        name: 'from-idp',
        now: 2_000,
      })
      users.push(identity.id)
      for (const user of users) {
        const [phone, laptop] = [new TestClient(), new TestClient()]
        await old.registerClients(user, [phone.id, laptop.id], 3_000)
        for (const device of [phone, laptop, phone])
          await old.push({ stream: user, bundles: [device.bundle({ count: 3 })], now: 4_000 })
      }
      const before = await snapshot(old, users)
      await old.close()

      // Today's release opens it: migration 0005 runs, and nothing of the above changed.
      const store = await openStore(database.url)
      try {
        expect(await snapshot(store, users)).toEqual(before)
        for (const user of users) {
          // Each stream is its user's private space: same id, nothing moved.
          expect(await store.listSpaces(user)).toEqual([
            { id: user, name: 'Private', role: 'owner', private: true },
          ])
          expect(await store.roleOf(user, user)).toBe('owner')
        }
        // And the streams go on from where they were.
        const [first] = users as [string]
        const device = new TestClient()
        const pushed = await store.push({ stream: first, bundles: [device.bundle()], now: 5_000 })
        expect(pushed.head).toBe((before.streams[0]?.cursor ?? 0) + 1)
        const space = await store.createSpace({
          id: newId(),
          name: 'new',
          owner: first,
          now: 6_000,
        })
        expect(space.role).toBe('owner')
      } finally {
        await store.close()
      }
    } finally {
      await database.dispose()
    }
    // PGlite on disk starts a whole Postgres in WebAssembly, twice: slow on a busy machine.
  }, 180_000)
})
