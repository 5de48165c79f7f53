import { ROUTES } from '@tidings/protocol'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { revokeUser } from '../auth/users.js'
import { runTidings } from '../cli/main.js'
import { type RunningServer, startServer } from '../server.js'
import { TEST_BACKENDS, type TestDatabase } from '../testing/backends.js'

/** Reads a live stream as it arrives; `ended` once the server closed it. */
const openLive = async (url: string, token: string) => {
  const response = await fetch(url + ROUTES.live, { headers: { authorization: `Bearer ${token}` } })
  let text = ''
  let ended = false
  const reading = (async () => {
    const decoder = new TextDecoder()
    for await (const chunk of response.body ?? [])
      text += decoder.decode(chunk as Uint8Array, { stream: true })
    ended = true
  })()
  return { status: response.status, text: () => text, ended: () => ended, reading }
}

/** Whether a database can be opened a second time, by another process such as the CLI. */
const shared = (url: string) => url.startsWith('sqlite:') || url.startsWith('postgres')

/**
 * `tidings user revoke` ends the user's open live streams within seconds, not at their
 * maximum age (an hour): on every backend, and through the CLI's own connection wherever a
 * second one can open the database (SQLite file, Postgres), as an operator would revoke.
 * Two nodes on one Postgres: tests/live/two-nodes.test.ts.
 */
describe.each(TEST_BACKENDS)('revoking a token on $name', (backend) => {
  let database: TestDatabase
  let server: RunningServer
  afterEach(async () => {
    await server?.close()
    await database?.dispose()
  })

  it('ends its live streams within seconds; other users’ streams stay open', async () => {
    database = await backend.create()
    server = await startServer({ db: database.url, port: 0, logger: false })
    const alice = await server.addUser('alice')
    const bob = await server.addUser('bob')
    const streams = await Promise.all([
      openLive(server.url, alice.token),
      openLive(server.url, alice.token),
      openLive(server.url, bob.token),
    ])
    expect(streams.map((s) => s.status)).toEqual([200, 200, 200])
    await vi.waitFor(() => expect(streams.every((s) => s.text().includes(': live'))).toBe(true))

    if (shared(database.url)) {
      const io = { out: () => {}, err: () => {}, env: {} }
      const revoked = await runTidings(['user', 'revoke', 'alice', '--db', database.url], io)
      expect(revoked.code).toBe(0)
    } else {
      await revokeUser(server.store, 'alice')
    }

    await vi.waitFor(() => expect(streams[0]!.ended() && streams[1]!.ended()).toBe(true), {
      timeout: 10_000,
      interval: 50,
    })
    expect(streams[2]!.ended()).toBe(false)
    expect((await openLive(server.url, alice.token)).status).toBe(401)
  })
})
