import { DEFAULT_LIMITS, newId, type PartedBundle } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { addUser } from '../auth/users.js'
import { openStore } from '../store/kysely-store.js'
import { tempSqlite } from '../testing/backends.js'
import { TestClient } from '../testing/fixtures.js'
import { exportBundles } from './export.js'
import { importBundles } from './import.js'
import { readLines } from './ndjson.js'
import { chunked, streamOf } from './testing.js'

describe('export and import of the parts of a big transaction', () => {
  it('keep each part marker, on its own field of the bundle line', async () => {
    const [sourceDb, targetDb] = [await tempSqlite(), await tempSqlite()]
    const [source, target] = [await openStore(sourceDb.url), await openStore(targetDb.url)]
    const user = await addUser(source, 'ada')
    const client = new TestClient()
    await source.registerClients(user.id, [client.id], Date.now())
    const group = newId()
    const bundles: PartedBundle[] = [0, 1].map((index) => ({
      ...client.bundle({ count: 2 }),
      part: { group, index, count: 2 },
    }))
    await source.push({ stream: user.id, bundles, now: Date.now() })

    let text = ''
    await exportBundles(source, {
      write: async (chunk) => {
        text += chunk
      },
    })
    // The first bundle line: after the header and the user lines.
    const line = text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => 'bundle' in l)
    expect(line).toEqual({
      user: 'ada',
      bundle: { ...bundles[0], part: undefined },
      part: { bundle: bundles[0]!.id, group, index: 0, count: 2 },
    })
    expect(line?.bundle).not.toHaveProperty('part')

    await importBundles(target, {
      lines: readLines(chunked(text), DEFAULT_LIMITS.maxBodyBytes),
      limits: DEFAULT_LIMITS,
    })
    expect(await streamOf(target, 'ada')).toEqual(bundles)
    for (const store of [source, target]) await store.close()
    for (const db of [sourceDb, targetDb]) await db.dispose()
  })
})
