import { existsSync } from 'node:fs'
import { ROUTES } from '@tidings/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../server.js'
import { freshPostgres, postgresReachable, type TestDatabase } from '../testing/backends.js'
import { TestClient } from '../testing/fixtures.js'
import { PGBOUNCER, type RunningPgBouncer, startPgBouncer } from '../testing/pgbouncer.js'
import { required } from '../testing/required.js'

const missing = !existsSync(PGBOUNCER)
  ? `${PGBOUNCER} is missing (apt-get install pgbouncer)`
  : !(await postgresReachable())
    ? 'Postgres at 127.0.0.1:5432 is not reachable'
    : null
required(missing === null, missing ?? '', 'the PgBouncer tests are skipped')

const sync = async (server: RunningServer, token: string, body: unknown) => {
  const res = await fetch(server.url + ROUTES.sync, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return {
    status: res.status,
    body: (await res.json()) as {
      accepted?: string[]
      cursor?: string
      more?: boolean
      bundles?: Array<{ id: string }>
    },
  }
}

/** Every device of three users pushes at once, twenty requests in flight. */
const pushMany = async (server: RunningServer) => {
  const users = await Promise.all(['ada', 'bob', 'cy'].map((n) => server.addUser(n)))
  const sent = new Map<string, string[]>()
  const answers = await Promise.all(
    Array.from({ length: 21 }, async (_, i) => {
      const user = users[i % 3]!
      const device = new TestClient()
      const bundles = Array.from({ length: 3 }, () => device.bundle({ count: 2 }))
      sent.set(user.token, [...(sent.get(user.token) ?? []), ...bundles.map((b) => b.id)])
      return sync(server, user.token, device.syncBody(bundles))
    }),
  )
  return { users, sent, statuses: answers.map((a) => a.status) }
}

describe.skipIf(missing !== null)('behind PgBouncer in transaction mode', () => {
  let bouncer: RunningPgBouncer
  const databases: TestDatabase[] = []
  beforeAll(async () => {
    bouncer = await startPgBouncer({ poolMode: 'transaction', serverConnections: 1 })
  })
  afterAll(async () => {
    await bouncer?.stop()
    for (const db of databases) await db.dispose()
  })

  const throughBouncer = async () => {
    const db = await freshPostgres()
    databases.push(db)
    return { direct: db.url, pooled: bouncer.url(new URL(db.url).pathname.slice(1)) }
  }

  it('breaks named prepared statements when not told (why `?pooler=transaction` exists)', async () => {
    const { direct, pooled } = await throughBouncer()
    const server = await startServer({
      db: pooled,
      listenDb: direct,
      port: 0,
      logger: false,
      rateLimit: false,
    })
    try {
      const { statuses } = await pushMany(server)
      // Each pooled connection prepares the push's statements by name, but PgBouncer runs every
      // client connection's transactions on its one server connection: the second connection to
      // prepare a name finds it taken.
      expect(statuses.filter((s) => s !== 200).length).toBeGreaterThan(0)
    } finally {
      await server.close()
    }
  })

  it('stores and serves every bundle with `?pooler=transaction`, and pokes through --listen-db', async () => {
    const { direct, pooled } = await throughBouncer()
    const server = await startServer({
      db: `${pooled}?pooler=transaction`,
      listenDb: direct,
      port: 0,
      logger: false,
      rateLimit: false,
    })
    try {
      const { users, sent, statuses } = await pushMany(server)
      expect(statuses).toEqual(Array(21).fill(200))
      for (const user of users) {
        const fresh = new TestClient()
        const pulled: string[] = []
        let cursor: string | null = null
        for (;;) {
          const answer = await sync(server, user.token, fresh.syncBody([], cursor))
          expect(answer.status).toBe(200)
          pulled.push(...(answer.body.bundles ?? []).map((b) => b.id))
          cursor = answer.body.cursor ?? null
          if (!answer.body.more) break
        }
        expect(pulled.sort()).toEqual([...(sent.get(user.token) ?? [])].sort())
      }
      // A live stream opened on this node hears a push made through the pooler.
      const ada = users[0]!
      const stream = await fetch(server.url + ROUTES.live, {
        headers: { authorization: `Bearer ${ada.token}`, accept: 'text/event-stream' },
      })
      const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader()
      const device = new TestClient()
      expect((await sync(server, ada.token, device.syncBody([device.bundle()]))).status).toBe(200)
      let text = ''
      while (!/data: .*cursor/.test(text)) text += (await reader.read()).value ?? ''
      await reader.cancel()
    } finally {
      await server.close()
    }
  })

  it('refuses to start without a LISTEN URL rather than serve deaf live streams', async () => {
    const { pooled } = await throughBouncer()
    await expect(
      startServer({ db: `${pooled}?pooler=transaction`, port: 0, logger: false }),
    ).rejects.toThrow(/--listen-db/)
  })
})
