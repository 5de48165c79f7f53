import path from 'node:path'
import { type Client, defineSchema, openClient, t } from '@tidings/client'
import { openNodeDatabase } from '@tidings/client/node'
import { formatHlc, newId, ROUTES, SYNC_PROTOCOL } from '@tidings/protocol'
import { type RunningServer, startServer } from '@tidings/server'
import { afterEach, describe, expect, it } from 'vitest'
import { type Restorable, restorableSqlite } from '../support/backups.js'
import { tempDir } from '../support/databases.js'

/** Invariant 7 at its edges, found by an adversarial review of the first version. */
const schema = defineSchema({ note: { title: t.string() } })
type NoteClient = Client<(typeof schema)['types']>

const titles = async (client: NoteClient) =>
  (await client.fetch('note', { orderBy: { title: 'asc' } })).map((n) => n.title)

describe('recovery at its edges', () => {
  let database: Restorable | null = null
  let server: RunningServer | null = null
  let files: { dir: string; remove(): void } | null = null
  afterEach(async () => {
    await server?.close()
    await database?.drop()
    files?.remove()
  })

  it('recovers from a second restore seen while it was recovering from the first', async () => {
    database = restorableSqlite()
    server = await startServer({ db: database.url, port: 0, logger: false })
    const port = Number(new URL(server.url).port)
    const user = await server.addUser('ada')
    const restart = async () => {
      await server?.close()
      await database?.restore()
      server = await startServer({ db: database!.url, port, logger: false })
    }
    // The failover flaps: the second request the recovery's rounds send meets another restore.
    let comparing = false
    let sent = 0
    const flapping: typeof fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input)
      if (url.endsWith(ROUTES.bundleIds)) comparing = true
      else if (comparing && url.endsWith(ROUTES.sync) && ++sent === 2) await restart()
      return fetch(input, init)
    }
    const a = await openClient({
      schema,
      database: openNodeDatabase(':memory:'),
      limits: { maxBundlesPerRequest: 1 },
      server: { url: server.url, token: user.token, backoffMs: 5, fetch: flapping },
    })
    await a.create('note', { title: 'a1' })
    await a.sync()
    await database.backup()
    await a.create('note', { title: 'a2' })
    await a.create('note', { title: 'a3' })
    await a.sync()
    await restart()
    await a.sync()
    expect(sent).toBeGreaterThanOrEqual(2)
    const b = await openClient({
      schema,
      database: openNodeDatabase(':memory:'),
      server: { url: server!.url, token: user.token, backoffMs: 5 },
    })
    await b.sync()
    expect(await titles(b)).toEqual(['a1', 'a2', 'a3'])
    await a.close()
    await b.close()
  })

  it('recovers once, not on every sync, when its latest bundle on the server is a lone part', async () => {
    database = restorableSqlite()
    files = tempDir('lone-part')
    server = await startServer({ db: database.url, port: 0, logger: false })
    const user = await server.addUser('ada')
    const file = path.join(files.dir, 'author.db')
    const open = () =>
      openClient({
        schema,
        database: openNodeDatabase(file),
        server: { url: server!.url, token: user.token, backoffMs: 5 },
      })
    const author = await open()
    await author.create('note', { title: 'first' })
    await author.sync()
    // It pushed part 0 of 2 of a big transaction, then lost the transaction (a power cut).
    const client = author.clientId
    const hlc = formatHlc({ ms: Date.now(), counter: 0, node: client })
    const id = newId()
    const event = { id: newId(), type: 'note', entity: newId(), attribute: 'title', value: 'p0' }
    const pushed = await fetch(`${server.url}${ROUTES.sync}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        protocol: SYNC_PROTOCOL,
        client,
        hlc,
        cursor: null,
        bundles: [{ id, client, hlc, events: [{ ...event, hlc, client }] }],
        parts: [{ bundle: id, group: newId(), index: 0, count: 2 }],
      }),
    })
    expect(pushed.status).toBe(200)
    await author.close()
    const again = await open()
    const recovered = []
    for (let i = 0; i < 4; i++) recovered.push((await again.sync()).recovered?.reason ?? null)
    expect(recovered).toEqual(['device_rolled_back', null, null, null])
    await again.close()
  })
})
