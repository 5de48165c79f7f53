import { isTidingsError } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { internals, memoryClient } from '../test/fixtures.js'

describe('transaction', () => {
  it('commits all its writes as one bundle, atomically, when the callback resolves', async () => {
    const client = await memoryClient()
    const { shelf, book } = await client.transaction(async (tx) => {
      const shelf = await tx.create('shelf', { name: 'Fiction' })
      const book = await tx.create('book', { title: 'Dune', shelf: shelf.id })
      await tx.update('book', book.id, { pages: 412 })
      // Reads inside see the transaction's own writes; the committed state does not yet.
      expect(await tx.get('book', book.id)).toEqual({
        id: book.id,
        space: null,
        title: 'Dune',
        shelf: shelf.id,
        pages: 412,
      })
      expect(await client.get('book', book.id)).toBeNull()
      return { shelf, book }
    })
    const store = internals(client).store
    const [bundleId, ...others] = store.bundleIds()
    expect(others).toEqual([])
    expect(store.bundle(bundleId!)!.events.map((e) => e.attribute)).toEqual([
      'name',
      'public',
      'title',
      'shelf',
      'pages',
    ])
    expect(await client.related('book', 'shelf', shelf.id)).toEqual([
      { id: book.id, space: null, title: 'Dune', shelf: shelf.id, pages: 412 },
    ])
  })

  it('writes nothing when the callback throws', async () => {
    const client = await memoryClient()
    await expect(
      client.transaction(async (tx) => {
        await tx.create('document', { author: 'a', title: 'lost' })
        throw new Error('changed my mind')
      }),
    ).rejects.toThrow('changed my mind')
    expect(await client.fetch('document')).toEqual([])
    expect(client.status.pending).toBe(0)
  })

  it('sees a delete inside the transaction and refuses to use the transaction after it ended', async () => {
    const client = await memoryClient()
    const doc = await client.create('document', { author: 'a', title: 'b' })
    let escaped: { get(type: 'document', id: string): Promise<unknown> } | undefined
    await client.transaction(async (tx) => {
      await tx.delete('document', doc.id)
      expect(await tx.get('document', doc.id)).toBeNull()
      escaped = tx
    })
    await expect(escaped!.get('document', doc.id)).rejects.toSatisfy((e) =>
      isTidingsError(e, 'bad_request'),
    )
    expect(await client.get('document', doc.id)).toBeNull()
  })

  it('creates with a chosen id once; the id of an existing or deleted entity is a conflict', async () => {
    const client = await memoryClient()
    await client.create('document', { id: 'doc-1', author: 'a', title: 'b' })
    expect(await client.get('document', 'doc-1')).toEqual({
      id: 'doc-1',
      space: null,
      author: 'a',
      title: 'b',
    })
    const again = client.create('document', { id: 'doc-1', author: 'a', title: 'b' })
    await expect(again).rejects.toSatisfy((e) => isTidingsError(e, 'conflict'))
    await client.delete('document', 'doc-1')
    const reborn = client.create('document', { id: 'doc-1', author: 'a', title: 'b' })
    await expect(reborn).rejects.toSatisfy((e) => isTidingsError(e, 'conflict'))
  })

  it('commits a transaction larger than one bundle may carry, as parts (issue 13, case 6)', async () => {
    const client = await memoryClient({ limits: { maxEventsPerBundle: 5 } })
    await client.transaction(async (tx) => {
      for (let i = 0; i < 3; i++) await tx.create('document', { author: 'a', title: `${i}` })
    })
    expect(await client.fetch('document')).toHaveLength(3)
    expect(internals(client).store.bundleIds()).toHaveLength(2) // see store/parts.test.ts
  })
})

describe('fetch', () => {
  it('filters with operators, sorts, pages and reads dates and booleans back', async () => {
    const client = await memoryClient()
    const day = (d: number) => new Date(Date.UTC(2026, 0, d))
    for (let d = 1; d <= 6; d++)
      await client.create('shelf', { name: `s${d}`, opened: day(d), public: d % 2 === 0 })
    await client.create('shelf', { name: 'never opened' })
    const open = await client.fetch('shelf', {
      where: { opened: { gte: day(2), lt: day(6) }, public: true },
      orderBy: { opened: 'desc' },
    })
    expect(open.map((s) => s.name)).toEqual(['s4', 's2'])
    expect(open[0]?.opened).toEqual(day(4))
    const page = await client.fetch('shelf', {
      orderBy: [{ public: 'asc' }, { name: 'asc' }],
      limit: 2,
      offset: 1,
    })
    expect(page.map((s) => s.name)).toEqual(['s1', 's3'])
    expect((await client.fetch('shelf', { where: { opened: null } })).map((s) => s.name)).toEqual([
      'never opened',
    ])
    expect((await client.fetch('shelf', { where: { name: { in: ['s1', 's5'] } } })).length).toBe(2)
    expect((await client.fetch('shelf', { where: { name: { like: 'never%' } } })).length).toBe(1)
    expect(
      (await client.fetch('shelf', { where: { name: { ne: 's1' }, opened: { ne: null } } })).length,
    ).toBe(5)
  })
})
