import { addUser, openStore, revokeUser, type Store } from '@tidings/server'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postgresReachable, type TempDatabase, tempPostgres } from '../support/databases.js'
import { type ServerProcess, spawnServer } from '../support/server-process.js'
import { manyConnections, pokeReachesIdleClient, revokedStreamsEnd } from './scenarios.js'
import { holds, noteTexts, openTestClient, settled, until } from './support.js'

/** Kills every node's LISTEN connection to `url`'s database, as a network blip would. */
const terminateListeners = async (url: string): Promise<number> => {
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  try {
    const { rowCount } = await admin.query(
      "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'tidings-live' and datname = current_database()",
    )
    return rowCount ?? 0
  } finally {
    await admin.end()
  }
}

const hasPostgres = await postgresReachable()

/**
 * Two `tidings serve` processes on one Postgres database: pokes cross processes through
 * LISTEN/NOTIFY, and either node serves any client (nothing lives in process memory).
 */
describe.skipIf(!hasPostgres)('two server nodes on one Postgres', () => {
  let db: TempDatabase
  let node1: ServerProcess
  let node2: ServerProcess
  /** The shared database, opened in the test process only to add users quickly. */
  let store: Store

  beforeAll(async () => {
    db = await tempPostgres('live')
    store = await openStore(db.url) // migrates the fresh database before the nodes start
    ;[node1, node2] = await Promise.all([spawnServer({ db: db.url }), spawnServer({ db: db.url })])
  })

  afterAll(async () => {
    await Promise.all([node1?.stop(), node2?.stop()])
    await store?.close()
    await db?.drop()
  })

  it('shows a write on A (node 1) on B (node 2) through a poke, B never polling', async () => {
    const user = await addUser(store, 'ada')
    await pokeReachesIdleClient({ aUrl: node1.url, bUrl: node2.url, token: user.token })
  })

  it('holds 200 live streams on node 2 while bundles flow through node 1; all are poked', async () => {
    const users = await Promise.all(['bea', 'cy', 'dot', 'eve'].map((name) => addUser(store, name)))
    await manyConnections({
      liveUrl: node2.url,
      writeUrl: node1.url,
      tokens: users.map((u) => u.token),
      perUser: 50,
      writes: 10,
    })
  })

  it('ends a revoked user’s live streams on both nodes within seconds; other users’ go on', async () => {
    const [revoked, other] = await Promise.all([addUser(store, 'hal'), addUser(store, 'ivy')])
    const writer = await openTestClient({ urls: [node1.url], token: other.token })
    try {
      await revokedStreamsEnd({
        urls: [node1.url, node2.url],
        revokedToken: revoked.token,
        otherToken: other.token,
        // From this process's own connection, as `tidings user revoke` would: neither node
        // is told, each finds out from the database.
        revoke: () => revokeUser(store, 'hal'),
        writeAsOther: async () => {
          await writer.client.create('note', { text: 'ivy goes on', by: 'ivy' })
          await writer.client.sync()
        },
      })
    } finally {
      await writer.client.close()
    }
  })

  it('ends live streams when a node loses its LISTEN connection; clients reconnect and get pokes', async () => {
    const user = await addUser(store, 'gus')
    const a = await openTestClient({ urls: [node1.url], token: user.token })
    const b = await openTestClient({ urls: [node2.url], token: user.token })
    try {
      b.client.startSync()
      await until('B to open its live stream', async () => b.count('live') >= 1)
      await settled(b.client, 'B to settle')
      const syncsBefore = b.count('sync')
      const killed = await terminateListeners(db.url)
      expect(killed).toBe(2) // one LISTEN connection per node
      // Nothing was written, so B's next sync is the catch-up of a live stream opened anew.
      await until('B to sync on a new live stream', async () => b.count('sync') > syncsBefore)
      await settled(b.client, 'B to settle again')
      const syncsAfter = b.count('sync')
      expect(b.count('live')).toBeGreaterThanOrEqual(2)
      await a.client.create('note', { text: 'after the LISTEN drop', by: 'A' })
      await a.client.sync()
      await until('the note on B', () => holds(b.client, ['after the LISTEN drop']))
      expect(b.count('sync')).toBeGreaterThan(syncsAfter) // a poke on the new stream
    } finally {
      await Promise.all([a.client.close(), b.client.close()])
    }
  })

  it('fails A over to node 2 when node 1 is killed, losing nothing in either direction', async () => {
    const user = await addUser(store, 'fay')
    const a = await openTestClient({ urls: [node1.url, node2.url], token: user.token })
    const b = await openTestClient({ urls: [node2.url], token: user.token })
    try {
      a.client.startSync()
      b.client.startSync()
      await Promise.all([settled(a.client, 'A to settle'), settled(b.client, 'B to settle')])
      const before = Array.from({ length: 10 }, (_, i) => `A before kill ${i}`)
      for (const text of before) await a.client.create('note', { text, by: 'A' })
      // Kill while A's debounced syncs of those writes may still be in flight. SIGKILL: no
      // goodbye, open streams and requests just die.
      await node1.kill()

      const after = Array.from({ length: 10 }, (_, i) => `A after kill ${i}`)
      for (const text of after) await a.client.create('note', { text, by: 'A' })
      await b.client.create('note', { text: 'B after kill', by: 'B' })

      const everything = [...before, ...after, 'B after kill'].sort()
      await until(
        'every note on B',
        async () => (await noteTexts(b.client)).length === everything.length,
      )
      await until(
        'every note on A',
        async () => (await noteTexts(a.client)).length === everything.length,
      )
      expect(await noteTexts(b.client)).toEqual(everything)
      expect(await noteTexts(a.client)).toEqual(everything)
      await settled(a.client, 'A to settle on node 2')
      expect(a.client.status.pending).toBe(0)
      // A's live stream moves to node 2 too (its first one died with node 1); the reconnect
      // waits out a jittered backoff, so it may land after the data has converged.
      await until("A's live stream to reopen on node 2", async () => a.count('live') >= 2)
    } finally {
      await Promise.all([a.client.close(), b.client.close()])
    }
  })
})
