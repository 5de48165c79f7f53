import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_BACKENDS, type TestDatabase } from '../testing/backends.js'
import { TestClient } from '../testing/fixtures.js'
import { openStore } from './kysely-store.js'
import type { Store } from './store.js'

/**
 * A page carries its bundles twice: parsed (`bundles`) and as JSON text spliced from the stored
 * events text (`bundlesJson`), which the routes send. Both must say exactly what was pushed.
 */
describe.each(TEST_BACKENDS)('page JSON on $name', (backend) => {
  let database: TestDatabase
  let store: Store
  beforeAll(async () => {
    database = await backend.create()
    store = await openStore(database.url)
  })
  afterAll(async () => {
    await store?.close()
    await database?.dispose()
  })

  it('serves the stored text of every bundle, equal to the pushed bundles', async () => {
    const device = new TestClient()
    const values = [
      'quote " backslash \\ newline \n',
      'ünïcødé 🎉 \u2028',
      { nested: [1, 2.5, null, true] },
      -0,
      1e21,
    ]
    const bundles = values.map((value) => device.bundle({ count: 2, value }))
    await store.push({ stream: 'json-page', bundles, now: Date.now() })
    const page = await store.pull({ stream: 'json-page', after: 0, limit: 10, maxEvents: 100 })
    const expected = JSON.parse(JSON.stringify(bundles))
    expect(JSON.parse(page.bundlesJson ?? 'null')).toEqual(expected)
    expect(page.bundles).toEqual(expected)
  })
})
