import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { internals } from '../test/fixtures.js'
import { type RunningServer, serverClient, startBackend } from '../test/server.js'

/**
 * A device against a server that compacted its history (the server's `compact`): a new device
 * gets the same state from the winners, keeps the horizon for `history()`, and `verify` tells
 * the compacted bundles apart from missing ones; a device that held the full history and kept
 * writing converges with it.
 */
describe.each(['sqlite', 'postgres'] as const)('a compacted server (%s)', (kind) => {
  let server: RunningServer
  beforeAll(async () => {
    server = (await startBackend(kind)).server
  })
  afterAll(() => server?.close())

  it('gives a new device the same state, its horizon, and an honest verify', async () => {
    const ada = await server.addUser(`compact-${kind}-${Date.now()}`)
    const a = await serverClient(server, ada.token)
    const doc = await a.create('document', { author: 'Ada', title: 'one' })
    for (const title of ['two', 'three', 'four']) {
      await a.update('document', doc.id, { title })
      await a.sync()
    }
    const gone = await a.create('document', { author: 'Bea', title: 'to delete' })
    await a.sync()
    await a.delete('document', gone.id)
    await a.sync()
    const result = await server.store.compact({
      space: ada.id,
      olderThan: 0,
      now: Date.now() + 1,
    })
    expect(result.dropped).toBeGreaterThan(0)
    await a.update('document', doc.id, { url: 'https://after.test' })
    await a.sync()

    const b = await serverClient(server, ada.token)
    await b.sync()
    expect(internals(b).store.dump()).toEqual(internals(a).store.dump())
    expect(await b.get('document', gone.id)).toBeNull()
    const [private_] = await server.store.horizons([ada.id]).then((m) => [...m.values()])
    expect(internals(b).store.getState('horizon:private')).toBe(private_)
    const verified = await b.verify()
    expect(verified).toMatchObject({ missingOnServer: 0, pulled: 0 })
    expect(verified.compacted).toBe(verified.missingLocally)
    expect(verified.compacted).toBeGreaterThan(0)
    expect(await a.verify()).toMatchObject({ missingLocally: 0, missingOnServer: 0 })
  })
})
