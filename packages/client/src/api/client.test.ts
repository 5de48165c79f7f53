import { isTidingsError } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { internals, type LibraryClient, manualClock, memoryClient } from '../test/fixtures.js'

/** Moves every bundle `from` has committed into `to`, as a server would (no server needed). */
const deliver = (from: LibraryClient, to: LibraryClient) => {
  const source = internals(from).store
  const bundles = source.bundleIds().map((id) => source.bundle(id)!)
  return to === from ? 0 : internals(to).store.applyRemote(bundles).applied
}

describe('documents (the prototype client tests, over the typed API)', () => {
  it('creates a document with author, title and optional url and reads it back', async () => {
    const client = await memoryClient()
    const doc = await client.create('document', { author: 'Ada', title: 'Notes' })
    expect(doc).toEqual({ id: doc.id, space: null, author: 'Ada', title: 'Notes' })
    expect(await client.get('document', doc.id)).toEqual(doc)
    const linked = await client.create('document', {
      author: 'Ada',
      title: 'Link',
      url: 'https://x.test',
    })
    expect((await client.get('document', linked.id))?.url).toBe('https://x.test')
  })

  it('edits then deletes a document', async () => {
    const client = await memoryClient()
    const doc = await client.create('document', { author: 'Ada', title: 'Draft' })
    const edited = await client.update('document', doc.id, {
      title: 'Final',
      url: 'https://a.test',
    })
    expect(edited).toEqual({
      id: doc.id,
      space: null,
      author: 'Ada',
      title: 'Final',
      url: 'https://a.test',
    })
    expect(await client.update('document', doc.id, { url: null })).toEqual({
      id: doc.id,
      space: null,
      author: 'Ada',
      title: 'Final',
    })
    await client.delete('document', doc.id)
    expect(await client.get('document', doc.id)).toBeNull()
    expect(await client.fetch('document')).toEqual([])
    expect(await client.fetch('document', { includeDeleted: true })).toHaveLength(1)
    await expect(client.update('document', doc.id, { title: 'x' })).rejects.toSatisfy((e) =>
      isTidingsError(e, 'not_found'),
    )
  })

  it('does not let an older edit that arrives after a newer one win', async () => {
    const clock = manualClock()
    const a = await memoryClient({ now: clock.now })
    const b = await memoryClient({ now: clock.now })
    const doc = await a.create('document', { author: 'Ada', title: 'v1' })
    deliver(a, b)
    clock.advance(1_000)
    await b.update('document', doc.id, { title: 'newer' })
    // `a`'s wall clock runs 500 s slow and it has not heard of b's edit yet: its edit, made
    // later in real time, carries the older HLC. Delivered after the newer one, it must lose.
    internals(a).store.clock.setOffset(-500_000)
    await a.update('document', doc.id, { title: 'older' })
    deliver(b, a)
    deliver(a, b)
    expect((await a.get('document', doc.id))?.title).toBe('newer')
    expect((await b.get('document', doc.id))?.title).toBe('newer')
  })

  it('resolves conflicting edits from two clients by HLC, the same on both', async () => {
    const clock = manualClock()
    const a = await memoryClient({ now: clock.now })
    const b = await memoryClient({ now: clock.now })
    const doc = await a.create('document', { author: 'Ada', title: 'start' })
    deliver(a, b)
    await a.update('document', doc.id, { title: 'from a' })
    clock.advance(1)
    await b.update('document', doc.id, { title: 'from b', url: 'https://b.test' })
    deliver(a, b)
    deliver(b, a)
    const onA = await a.get('document', doc.id)
    expect(onA).toEqual({
      id: doc.id,
      space: null,
      author: 'Ada',
      title: 'from b',
      url: 'https://b.test',
    })
    expect(await b.get('document', doc.id)).toEqual(onA)
    expect(internals(a).store.dump()).toEqual(internals(b).store.dump())
  })

  it('bulk inserts 1,000 documents', async () => {
    const client = await memoryClient()
    await client.transaction(async (tx) => {
      for (let i = 0; i < 1_000; i++)
        await tx.create('document', { author: `a${i % 10}`, title: `t${i}` })
    })
    expect(await client.fetch('document')).toHaveLength(1_000)
    expect(await client.fetch('document', { where: { author: 'a3' } })).toHaveLength(100)
    expect(client.status.pending).toBe(1)
  })

  it('stores the simple type with a list of string items', async () => {
    const client = await memoryClient()
    const empty = await client.create('simple', {})
    expect(empty.items).toEqual([])
    expect(await client.get('simple', empty.id)).toEqual({ id: empty.id, space: null, items: [] })
    const list = await client.update('simple', empty.id, { items: ['milk', 'eggs'] })
    expect(list.items).toEqual(['milk', 'eggs'])
    expect((await client.get('simple', empty.id))?.items).toEqual(['milk', 'eggs'])
  })
})

describe('deletes', () => {
  it('a concurrent edit updates the fields of a deleted entity but does not resurrect it', async () => {
    const clock = manualClock()
    const a = await memoryClient({ now: clock.now })
    const b = await memoryClient({ now: clock.now })
    const doc = await a.create('document', { author: 'Ada', title: 'v1' })
    deliver(a, b)
    await a.delete('document', doc.id)
    clock.advance(10)
    await b.update('document', doc.id, { title: 'edited elsewhere, later' })
    deliver(a, b)
    deliver(b, a)
    for (const client of [a, b]) {
      expect(await client.get('document', doc.id)).toBeNull()
      const [tomb] = await client.fetch('document', { includeDeleted: true })
      expect(tomb?.title).toBe('edited elsewhere, later')
    }
  })
})
