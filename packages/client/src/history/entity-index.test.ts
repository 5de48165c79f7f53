import { describe, expect, it } from 'vitest'
import { openClient } from '../api/client.js'
import { openNodeDatabase } from '../node.js'
import { internals, librarySchema } from '../test/fixtures.js'

const open = (path: string, historyIndex?: boolean) =>
  openClient({
    schema: librarySchema,
    database: openNodeDatabase(path),
    ...(historyIndex === undefined ? {} : { historyIndex }),
  })

describe('historyIndex', () => {
  it('indexes the log by entity while the app asks for it, and drops the index when it stops', async () => {
    const path = `/tmp/tidings-history-index-${process.pid}-${Date.now()}.db`
    const plan = (client: Awaited<ReturnType<typeof open>>) =>
      internals(client)
        .store.sql.all<{ detail: string }>(
          'EXPLAIN QUERY PLAN SELECT id FROM events WHERE type = ? AND entity = ?',
          ['document', 'x'],
        )
        .map((r) => r.detail)
        .join('; ')

    const indexed = await open(path, true)
    const doc = await indexed.create('document', { author: 'Ada', title: 'one' })
    await indexed.update('document', doc.id, { title: 'two' })
    expect(plan(indexed)).toMatch(/events_by_entity/)
    const withIndex = await indexed.history('document', doc.id)
    const pastWithIndex = await indexed.asOf(withIndex.events[1]!.hlc).get('document', doc.id)
    expect(pastWithIndex?.title).toBe('one')
    await indexed.close()

    // The same answers by a scan once the app no longer asks for the index.
    const plain = await open(path)
    expect(plan(plain)).not.toMatch(/events_by_entity/)
    expect(await plain.history('document', doc.id)).toEqual(withIndex)
    expect(await plain.asOf(withIndex.events[1]!.hlc).get('document', doc.id)).toEqual(
      pastWithIndex,
    )
    await plain.close()
  })
})
