import { describe, expect, it } from 'vitest'
import { internals, memoryClient } from '../test/fixtures.js'
import { cutPoints, heldPartIds } from './parts.js'

/** A transaction of `n` document creates (two writes each) on `client`. */
const bulk = (client: Awaited<ReturnType<typeof memoryClient>>, n: number) =>
  client.transaction(async (tx) => {
    for (let i = 0; i < n; i++) await tx.create('document', { author: 'A', title: `t${i}` })
  })

describe('a transaction bigger than one bundle may be', () => {
  it('commits as the parts of one group, in one SQLite transaction, all queued for push', async () => {
    const client = await memoryClient({ limits: { maxEventsPerBundle: 4 } })
    await bulk(client, 5) // 10 writes: parts of 4, 4 and 2 events
    const store = internals(client).store
    const bundles = store.bundleIds().map((id) => store.bundle(id)!)
    expect(bundles.map((b) => b.events.length)).toEqual([4, 4, 2])
    const group = bundles[0]!.part!.group
    expect(bundles.map((b) => b.part)).toEqual(
      [0, 1, 2].map((index) => ({ group, index, count: 3 })),
    )
    expect(store.pending()).toBe(3)
    expect(await client.fetch('document')).toHaveLength(5)
  })

  it('is also cut by bytes, so each part fits in one request', () => {
    const ops = Array.from({ length: 10 }, () => ({ entity: 'e', value: 'x'.repeat(1_000) }))
    const cuts = cutPoints(ops, { maxEvents: 100, maxBytes: 8_000, maxValueBytes: 2_000 })
    expect(cuts.length).toBeGreaterThan(1)
    expect(cuts.at(-1)).toBe(10)
    // The usual small transaction is one bundle, and nothing is measured for it.
    expect(
      cutPoints(ops.slice(0, 2), { maxEvents: 100, maxBytes: 1e9, maxValueBytes: 2_000 }),
    ).toEqual([2])
  })

  it('is held aside by a receiver until every part is there, whatever the order, then applies whole', async () => {
    const writer = await memoryClient({ limits: { maxEventsPerBundle: 4 } })
    await bulk(writer, 5)
    const source = internals(writer).store
    const parts = source.bundleIds().map((id) => source.bundle(id)!)
    const reader = await memoryClient()
    const held = () => heldPartIds(internals(reader).store.sql).length
    expect(internals(reader).receive([parts[2]!])).toBe(0)
    expect(internals(reader).receive([parts[0]!, parts[2]!])).toBe(0) // a repeat changes nothing
    expect(held()).toBe(2)
    expect(await reader.fetch('document')).toEqual([])
    expect(internals(reader).receive([parts[1]!])).toBe(3)
    expect(held()).toBe(0)
    expect(internals(reader).store.dump()).toEqual(source.dump())
    expect(internals(reader).receive(parts)).toBe(0) // applied parts come again: nothing to do
    // rebuild() replays the log, where a group is only ever whole.
    internals(reader).store.rebuild()
    expect(internals(reader).store.dump()).toEqual(source.dump())
  })
})
