import { type RunningServer, revokeUser, startServer } from '@tidings/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { manyConnections, pokeReachesIdleClient, revokedStreamsEnd } from './scenarios.js'
import { openTestClient, settled, until } from './support.js'

/**
 * The same scenarios on one in-process server over in-memory SQLite, whose pokes travel
 * through the in-process hub. These run everywhere, Postgres or not.
 */
describe('one server node, in-process hub (SQLite)', () => {
  let server: RunningServer
  beforeAll(async () => {
    server = await startServer({ db: 'memory', port: 0 })
  })
  afterAll(async () => {
    await server?.close()
  })

  it('shows a write on A on B through a poke, B never polling', async () => {
    const { token } = await server.addUser('ada')
    await pokeReachesIdleClient({ aUrl: server.url, bUrl: server.url, token })
  })

  it('holds 200 live streams while bundles flow; all are poked', async () => {
    const users = await Promise.all(['bea', 'cy', 'dot', 'eve'].map((name) => server.addUser(name)))
    await manyConnections({
      liveUrl: server.url,
      writeUrl: server.url,
      tokens: users.map((u) => u.token),
      perUser: 50,
      writes: 10,
    })
  })

  it('ends a revoked user’s live streams within seconds; other users’ go on', async () => {
    const [revoked, other] = await Promise.all([server.addUser('hal'), server.addUser('ivy')])
    const writer = await openTestClient({ urls: [server.url], token: other.token })
    try {
      await revokedStreamsEnd({
        urls: [server.url],
        revokedToken: revoked.token,
        otherToken: other.token,
        revoke: () => revokeUser(server.store, 'hal'),
        writeAsOther: async () => {
          await writer.client.create('note', { text: 'ivy goes on', by: 'ivy' })
          await writer.client.sync()
        },
      })
    } finally {
      await writer.client.close()
    }
  })

  it('closes promptly while live streams are open', async () => {
    const other = await startServer({ db: 'memory', port: 0 })
    const { token } = await other.addUser('ada')
    const a = await openTestClient({ urls: [other.url], token })
    a.client.startSync()
    await until('A to open its live stream', async () => a.count('live') >= 1)
    await settled(a.client, 'A to settle')
    // A server that waited on open streams would never resolve here (the test would time out).
    await other.close()
    const health = await fetch(`${other.url}/v1/health`).then(
      () => 'answered',
      () => 'refused',
    )
    expect(health).toBe('refused')
    await a.client.close()
  })
})
