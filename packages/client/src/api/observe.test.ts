import { describe, expect, it } from 'vitest'
import { internals, memoryClient } from '../test/fixtures.js'

const tick = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('observe', () => {
  it('fires at start, then after committed changes that alter the result', async () => {
    const client = await memoryClient()
    const seen: string[][] = []
    const off = client.observe(
      'document',
      { where: { author: 'Ada' }, orderBy: { title: 'asc' } },
      (rows) => seen.push(rows.map((r) => r.title)),
    )
    await tick()
    expect(seen).toEqual([[]])
    await client.create('document', { author: 'Ada', title: 'B' })
    await internals(client).settled()
    await client.transaction(async (tx) => {
      await tx.create('document', { author: 'Ada', title: 'A' })
      await tx.create('document', { author: 'Ada', title: 'C' })
    })
    await internals(client).settled()
    await client.create('document', { author: 'Grace', title: 'not matching' })
    await client.create('simple', {})
    await internals(client).settled()
    expect(seen).toEqual([[], ['B'], ['A', 'B', 'C']])
    off()
    await client.create('document', { author: 'Ada', title: 'D' })
    await internals(client).settled()
    expect(seen).toHaveLength(3)
  })

  it('runs after the write resolves, never inside it, and once for a burst of writes', async () => {
    const client = await memoryClient()
    const seen: number[] = []
    client.observe('document', {}, (rows) => seen.push(rows.length))
    await tick()
    expect(seen).toEqual([0])
    // The write's caller gets control back before any live query re-runs: a write costs the
    // same with a big list on screen as with none.
    await client.create('document', { author: 'Ada', title: 'one' })
    expect(seen).toEqual([0])
    for (let i = 0; i < 50; i++) await client.create('document', { author: 'Ada', title: `${i}` })
    await internals(client).settled()
    // 51 commits, one re-run: the observer sees the committed end state, once.
    expect(seen).toEqual([0, 51])
  })

  it('fires for changes applied from another client', async () => {
    const a = await memoryClient()
    const b = await memoryClient()
    const seen: number[] = []
    b.observe('document', {}, (rows) => seen.push(rows.length))
    await tick()
    await a.create('document', { author: 'Ada', title: 'remote' })
    const source = internals(a).store
    internals(b).receive(source.bundleIds().map((id) => source.bundle(id)!))
    await internals(b).settled()
    expect(seen).toEqual([0, 1])
  })

  it('stops at close: nothing pending fires afterwards', async () => {
    const client = await memoryClient()
    const seen: number[] = []
    client.observe('document', {}, (rows) => seen.push(rows.length))
    await tick()
    await client.create('document', { author: 'Ada', title: 'late' })
    await client.close()
    await new Promise((resolve) => setTimeout(resolve, 40))
    expect(seen).toEqual([0])
  })
})
