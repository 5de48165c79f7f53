import { describe, expect, it } from 'vitest'
import { internals, memoryClient } from '../test/fixtures.js'

const tick = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('observe', () => {
  it('fires at start, then once per committed change that alters the result', async () => {
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
    await client.transaction(async (tx) => {
      await tx.create('document', { author: 'Ada', title: 'A' })
      await tx.create('document', { author: 'Ada', title: 'C' })
    })
    await client.create('document', { author: 'Grace', title: 'not matching' })
    await client.create('simple', {})
    expect(seen).toEqual([[], ['B'], ['A', 'B', 'C']])
    off()
    await client.create('document', { author: 'Ada', title: 'D' })
    expect(seen).toHaveLength(3)
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
    expect(seen).toEqual([0, 1])
  })
})
