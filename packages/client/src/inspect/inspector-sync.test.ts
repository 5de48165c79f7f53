import { type Bundle, formatHlc, newId, ROUTES } from '@tidings/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { internals, type LibraryClient } from '../test/fixtures.js'
import { type RunningServer, serverClient, startBackend } from '../test/server.js'

/**
 * `client.inspector()` on a device that syncs with a real server (SQLite file): cursor, spaces
 * and status, refusals with the server's reason, the last errors, the debug bundle, and the one
 * thing it must never show: the token.
 */
describe('inspector: sync state, against a real server', () => {
  let server: RunningServer
  beforeAll(async () => {
    server = (await startBackend('sqlite')).server
  })
  afterAll(() => server?.close())

  const user = async (name: string) => server.addUser(`${name}-${Date.now()}-${Math.random()}`)

  it('shows the cursor, the spaces, the status and the clock after a sync', async () => {
    const ada = await user('ada')
    const client = await serverClient(server, ada.token)
    const before = await client.inspector().sync()
    expect(before).toMatchObject({ clientId: client.clientId, cursor: null, lastHlc: null })
    expect(before.servers).toEqual([new URL(server.url).toString()])

    await client.create('document', { author: 'Ada', title: 'Notes' })
    const library = await client.createSpace('Family')
    await client.sync()
    await client.spaces() // the private space's id is learnt from the server's list
    const after = await client.inspector().sync()
    expect(after.cursor).toEqual(expect.any(String))
    expect(after.privateSpace).toBe(ada.id)
    expect(after.spaces.map((s) => [s.name, s.role])).toEqual(
      expect.arrayContaining([['Family', 'owner']]),
    )
    expect(after.spaces.map((s) => s.id)).toContain(library.id)
    expect(after.status).toMatchObject({ state: 'idle', pending: 0, rejected: 0 })
    expect(after.lastHlc?.node).toBe(client.clientId)
    expect(after.lastErrors).toEqual([])
    await client.close()
  })

  it('keeps the last errors, newest first, with their codes', async () => {
    const ada = await user('err')
    const client = await serverClient(server, ada.token, {
      server: { url: 'http://127.0.0.1:9', attempts: 1 },
    })
    await client.sync().catch(() => undefined)
    const bad = await serverClient(server, 'not-a-valid-token-at-all', { server: { attempts: 1 } })
    await bad.sync().catch(() => undefined)
    expect((await client.inspector().sync()).lastErrors).toEqual([
      expect.objectContaining({ source: 'sync', code: 'unavailable' }),
    ])
    const [refusal] = (await bad.inspector().sync()).lastErrors
    expect(refusal).toMatchObject({ source: 'sync', code: 'unauthorized' })
    expect(Date.parse(refusal!.at)).not.toBeNaN()
    await client.close()
    await bad.close()
  })

  it('lists refused bundles with the server’s code and reason', async () => {
    const ada = await user('refused')
    const client = await serverClient(server, ada.token)
    await client.create('document', { author: 'Ada', title: 'mine' })
    await squatFirstEvent(server, ada.token, client)
    await client.sync()
    const [refused] = await client.inspector().refused()
    expect(refused).toMatchObject({ code: 'conflict', message: expect.any(String) })
    expect(refused!.events.map((e) => e.attribute)).toContain('title')
    expect((await client.inspector().sync()).status.rejected).toBe(1)
    await client.close()
  })

  it('exports a JSON debug bundle of all of it', async () => {
    const ada = await user('bundle')
    const client = await serverClient(server, ada.token)
    const doc = await client.create('document', { author: 'Ada', title: 'Notes' })
    await client.sync()
    await client.create('shelf', { name: 'Unsent' })
    client.observe('document', {}, () => {})
    await internals(client).settled()

    const bundle = await client.inspector().debugBundle()
    expect(JSON.parse(JSON.stringify(bundle))).toEqual(bundle)
    expect(bundle).toMatchObject({
      format: 'tidings-debug/1',
      counts: { entities: { document: 1, shelf: 1 } },
      sync: { clientId: client.clientId, status: { pending: 1 } },
      outbox: { total: 1 },
      refused: [],
      liveQueries: [expect.objectContaining({ type: 'document', rows: 1 })],
    })
    expect(bundle.schema.document).toEqual(['author', 'title', 'url'])
    expect(bundle.recentEvents.some((e) => e.entity === doc.id && e.acknowledged)).toBe(true)
    await client.close()
  })

  it('never shows the token, whether fixed or from a token function', async () => {
    const ada = await user('secret')
    const fixed = await serverClient(server, ada.token)
    const fromFunction = await serverClient(server, 'unused', {
      server: { token: async () => ada.token, account: ada.id },
    })
    for (const client of [fixed, fromFunction]) {
      await client.create('document', { author: 'Ada', title: 'x' })
      await client.sync()
      // Even a value that happens to hold it (a pasted token, say) comes out redacted.
      await client.create('document', { author: 'Ada', title: `token: ${ada.token}` })
      const inspector = client.inspector()
      const outputs = [
        await inspector.debugBundle(),
        await inspector.sync(),
        await inspector.events(),
        await inspector.outbox(),
      ]
      const text = JSON.stringify(outputs)
      expect(text).not.toContain(ada.token)
      expect(text).toContain('token: [redacted]')
      await client.close()
    }
  })
})

/** Another device of the user stores an event reusing the id of `client`'s first unsent event. */
const squatFirstEvent = async (server: RunningServer, token: string, client: LibraryClient) => {
  const store = internals(client).store
  const [queued] = store.outbox(0, 1)
  const eventId = store.bundle(queued!.bundle)!.events[0]!.id
  const other = newId()
  const hlc = formatHlc({ ms: Date.now(), counter: 0, node: other })
  const event = {
    id: eventId,
    type: 'document',
    entity: newId(),
    attribute: 'title',
    value: 'squatter',
    hlc,
    client: other,
  }
  const bundle: Bundle = { id: newId(), client: other, hlc, events: [event] }
  const response = await fetch(server.url + ROUTES.sync, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ client: other, hlc, cursor: null, bundles: [bundle] }),
  })
  expect(response.status).toBe(200)
}
