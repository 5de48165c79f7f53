import { type BundlePart, messageSchemas, newId, parseWire } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { addUser } from '../auth/users.js'
import { appSuite } from '../testing/app-suite.js'
import { TEST_BACKENDS } from '../testing/backends.js'
import { TestClient } from '../testing/fixtures.js'
import { injector } from '../testing/inject.js'

type WithParts = { bundles: Array<Record<string, unknown>>; parts?: BundlePart[] }

/**
 * Parts of a transaction too big for one bundle (protocol wire/part.ts), on every backend: a
 * part is stored with its marker and answered with it beside the bundles, never inside one, so
 * clients released before parts (strict about bundles, lenient about answers) still read it.
 */
describe.each(TEST_BACKENDS)('parts of one transaction on $name', (backend) => {
  const suite = appSuite(backend)

  const pushParts = async () => {
    const user = await addUser(suite.store, `parts-${newId().slice(-12)}`)
    const api = injector(suite.app, user.token)
    const writer = new TestClient()
    const group = newId()
    const bundles = [0, 1, 2].map(() => writer.bundle({ count: 2 }))
    const parts = bundles.map((b, index) => ({ bundle: b.id, group, index, count: 3 }))
    // Two requests: parts need not travel together.
    for (const [from, to] of [
      [0, 2],
      [2, 3],
    ] as const) {
      const res = await api.sync({
        ...writer.syncBody(bundles.slice(from, to)),
        parts: parts.slice(from, to),
      })
      expect(res.status).toBe(200)
    }
    return { api, writer, bundles, parts }
  }

  it('answers each part beside its bundle on sync, pull and bundles/get', async () => {
    const { api, bundles, parts } = await pushParts()
    const reader = new TestClient()
    const synced = await api.sync<WithParts>(reader.syncBody([]))
    const pulled = await api.pull<WithParts>()
    const got = await api.get<WithParts>(bundles.map((b) => b.id))
    for (const answer of [synced.body, pulled.body, got.body]) {
      expect(answer.bundles).toEqual(bundles)
      expect(answer.parts).toEqual(parts)
    }
    // What a client released before parts parses with: the bundles alone, all valid.
    const released = messageSchemas().syncResponse.omit({ parts: true })
    expect(parseWire(released, synced.body, 'answer').bundles).toHaveLength(3)
  })

  it('hashes the marker with the bundle: the same id as another part, or as a whole, is a conflict', async () => {
    const { api, writer, bundles, parts } = await pushParts()
    const [first] = bundles
    const again = await api.sync({ ...writer.syncBody([first!]), parts: [parts[0]] })
    expect(again.status).toBe(200)
    const moved = { ...parts[0], index: 1 }
    expect((await api.sync({ ...writer.syncBody([first!]), parts: [moved] })).status).toBe(409)
    expect((await api.sync(writer.syncBody([first!]))).status).toBe(409)
  })

  it('a whole bundle is answered without a parts list, as before', async () => {
    const user = await addUser(suite.store, `whole-${newId().slice(-12)}`)
    const api = injector(suite.app, user.token)
    const writer = new TestClient()
    await api.sync(writer.syncBody([writer.bundle()]))
    expect((await api.pull<WithParts>()).body).not.toHaveProperty('parts')
  })
})
