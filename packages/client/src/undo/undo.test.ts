import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isTidingsError } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { openClient } from '../api/client.js'
import { openNodeDatabase } from '../node.js'
import { rememberSpace } from '../store/known-spaces.js'
import { deleteBundles } from '../store/space-rows.js'
import { loseSpace } from '../sync/lose-space.js'
import { RejectedBundles } from '../sync/rejected.js'
import { internals, librarySchema, memoryClient } from '../test/fixtures.js'

describe('undo and redo of local transactions', () => {
  it('undoes an update by writing the old value back, and redoes it', async () => {
    const client = await memoryClient()
    const doc = await client.create('document', { author: 'Ada', title: 'Draft' })
    await client.update('document', doc.id, { title: 'Final' })
    expect(client.undoState()).toEqual({
      canUndo: true,
      canRedo: false,
      undoCount: 2,
      redoCount: 0,
    })

    expect(await client.undo()).toEqual({
      done: true,
      restored: [{ type: 'document', id: doc.id, attribute: 'title' }],
      stale: [],
    })
    expect((await client.get('document', doc.id))?.title).toBe('Draft')
    expect(client.undoState()).toEqual({ canUndo: true, canRedo: true, undoCount: 1, redoCount: 1 })

    await client.redo()
    expect((await client.get('document', doc.id))?.title).toBe('Final')
    expect(client.undoState()).toMatchObject({ undoCount: 2, redoCount: 0 })
  })

  it('never rewrites the log: undo is a new local transaction that syncs like any write', async () => {
    const client = await memoryClient()
    const doc = await client.create('document', { author: 'Ada', title: 'Draft' })
    await client.update('document', doc.id, { title: 'Final' })
    const store = internals(client).store
    const before = store.bundleIds()
    await client.undo()
    const after = store.bundleIds()
    expect(after.slice(0, before.length).sort()).toEqual([...before].sort())
    expect(after).toHaveLength(before.length + 1)
    expect(client.status.pending).toBe(3)
  })

  it('undoes a create by deleting the entity; redo brings it back', async () => {
    const client = await memoryClient()
    const doc = await client.create('document', { author: 'Ada', title: 'New' })
    expect(await client.undo()).toEqual({
      done: true,
      restored: [{ type: 'document', id: doc.id, attribute: 'deleted' }],
      stale: [],
    })
    expect(await client.get('document', doc.id)).toBeNull()
    await client.redo()
    expect(await client.get('document', doc.id)).toEqual(doc)
  })

  it('undoes a delete by bringing the entity back with its values', async () => {
    const client = await memoryClient()
    const doc = await client.create('document', { author: 'Ada', title: 'Kept' })
    await client.delete('document', doc.id)
    await client.undo()
    expect(await client.get('document', doc.id)).toEqual(doc)
    await client.redo()
    expect(await client.get('document', doc.id)).toBeNull()
  })

  it('treats a transaction as one entry, and clears an optional attribute it set first', async () => {
    const client = await memoryClient()
    const doc = await client.create('document', { author: 'Ada', title: 'A' })
    await client.transaction(async (tx) => {
      await tx.update('document', doc.id, { title: 'B', url: 'https://b.test' })
      await tx.update('document', doc.id, { title: 'C' })
      await tx.create('shelf', { name: 'Made with C' })
    })
    const undone = await client.undo()
    expect(undone.restored.map((r) => r.attribute).sort()).toEqual(['deleted', 'title', 'url'])
    expect(await client.get('document', doc.id)).toEqual(doc)
    expect(await client.fetch('shelf')).toEqual([])
    expect(client.undoState().undoCount).toBe(1)
  })

  it('reports as stale, and leaves alone, an attribute another device wrote since; restores the others', async () => {
    const client = await memoryClient()
    const peer = await memoryClient()
    /** Hands every bundle one side lacks to it (what a sync through a server does). */
    const deliver = (from: typeof client, to: typeof client) => {
      const source = internals(from).store
      const target = internals(to).store
      internals(to).receive(
        source
          .bundleIds()
          .filter((id) => !target.hasBundle(id))
          .map((id) => source.bundle(id)!),
      )
    }
    const doc = await client.create('document', { author: 'Ada', title: 'A' })
    await client.update('document', doc.id, { author: 'Bea', title: 'B' })
    deliver(client, peer)
    await peer.update('document', doc.id, { title: 'Peer' })
    deliver(peer, client)

    expect(await client.undo()).toEqual({
      done: true,
      restored: [{ type: 'document', id: doc.id, attribute: 'author' }],
      stale: [{ type: 'document', id: doc.id, attribute: 'title' }],
    })
    expect(await client.get('document', doc.id)).toMatchObject({ author: 'Ada', title: 'Peer' })
    // Redo has the same rule: the title is no longer this transaction's to write.
    expect(await client.redo()).toMatchObject({
      restored: [{ attribute: 'author' }],
      stale: [{ attribute: 'title' }],
    })
    deliver(client, peer)
    expect(internals(peer).store.dump()).toEqual(internals(client).store.dump())
  })

  it('undoes edits one after the other: undoing the last gives the one before its value back', async () => {
    const client = await memoryClient()
    const doc = await client.create('document', { author: 'Ada', title: 'A' })
    await client.update('document', doc.id, { title: 'B' })
    await client.update('document', doc.id, { title: 'C' })
    await client.undo()
    expect(await client.undo()).toMatchObject({ restored: [{ attribute: 'title' }], stale: [] })
    expect((await client.get('document', doc.id))?.title).toBe('A')
    await client.undo()
    expect(await client.get('document', doc.id)).toBeNull()
    for (let i = 0; i < 3; i++) await client.redo()
    expect((await client.get('document', doc.id))?.title).toBe('C')
  })

  it('a new local write clears the redo stack; undo and redo themselves add no entry', async () => {
    const client = await memoryClient()
    const doc = await client.create('document', { author: 'Ada', title: 'A' })
    await client.update('document', doc.id, { title: 'B' })
    await client.undo()
    await client.undo()
    expect(client.undoState()).toMatchObject({ undoCount: 0, redoCount: 2 })
    await client.redo()
    expect(client.undoState()).toMatchObject({ undoCount: 1, redoCount: 1 })
    await client.create('shelf', { name: 'Other' })
    expect(client.undoState()).toMatchObject({ undoCount: 2, redoCount: 0 })
  })

  it('resolves with done: false when there is nothing to undo or redo', async () => {
    const client = await memoryClient()
    expect(await client.undo()).toEqual({ done: false, restored: [], stale: [] })
    expect(await client.redo()).toEqual({ done: false, restored: [], stale: [] })
  })

  it('tells listeners when the stacks change', async () => {
    const client = await memoryClient()
    const seen: Array<[number, number]> = []
    const off = client.onUndoState((s) => seen.push([s.undoCount, s.redoCount]))
    await client.create('shelf', { name: 'One' })
    await client.undo()
    await client.redo()
    off()
    await client.undo()
    expect(seen).toEqual([
      [1, 0],
      [0, 1],
      [1, 0],
    ])
  })

  it('keeps at most undoLimit transactions, the oldest going first', async () => {
    const client = await memoryClient({ undoLimit: 2 })
    const doc = await client.create('document', { author: 'Ada', title: '0' })
    for (const title of ['1', '2', '3']) await client.update('document', doc.id, { title })
    expect(client.undoState().undoCount).toBe(2)
    await client.undo()
    await client.undo()
    expect(await client.undo()).toMatchObject({ done: false })
    expect((await client.get('document', doc.id))?.title).toBe('1')
  })

  it('keeps both stacks in the database across a restart', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tidings-undo-')), 'client.db')
    const open = () => openClient({ schema: librarySchema, database: openNodeDatabase(path) })
    const first = await open()
    const doc = await first.create('document', { author: 'Ada', title: 'A' })
    await first.update('document', doc.id, { title: 'B' })
    await first.update('document', doc.id, { title: 'C' })
    await first.undo()
    await first.close()

    const second = await open()
    expect(second.undoState()).toEqual({ canUndo: true, canRedo: true, undoCount: 2, redoCount: 1 })
    await second.undo()
    expect((await second.get('document', doc.id))?.title).toBe('A')
    await second.redo()
    await second.redo()
    expect((await second.get('document', doc.id))?.title).toBe('C')
    await second.close()
  })

  it('undoes in a shared space while this user may write it; a lost space takes its entries along', async () => {
    const space = '01a24000-0000-7000-8000-00000000000a'
    const client = await memoryClient()
    const sql = internals(client).store.sql
    rememberSpace(sql, { id: space, name: 'Shared', role: 'writer' })
    const mine = await client.create('document', { author: 'Ada', title: 'Private' })
    const shared = await client.create('document', { author: 'Ada', title: 'Shared' }, { space })
    await client.update('document', shared.id, { title: 'Shared, edited' })

    // A reader may not write the space, so neither may its undo: refused, nothing changes.
    rememberSpace(sql, { id: space, name: 'Shared', role: 'reader' })
    await expect(client.undo()).rejects.toSatisfy((e) => isTidingsError(e, 'forbidden'))
    expect(client.undoState().undoCount).toBe(3)
    rememberSpace(sql, { id: space, name: 'Shared', role: 'writer' })
    await client.undo()
    expect((await client.get('document', shared.id))?.title).toBe('Shared')

    // Leaving the space drops its entries (DESIGN §8): the next undo is the private create.
    sql.transaction(() =>
      loseSpace(internals(client).store, new RejectedBundles(internals(client).store), space),
    )
    await client.undo()
    expect(await client.get('document', mine.id)).toBeNull()
    expect(client.undoState()).toMatchObject({ undoCount: 0, redoCount: 1 })
  })

  it('undoes a transaction too big for one bundle as one entry, in one compensating transaction', async () => {
    const client = await memoryClient({ limits: { maxEventsPerBundle: 4 } })
    await client.transaction(async (tx) => {
      for (let i = 0; i < 5; i++) await tx.create('document', { author: 'Ada', title: `${i}` })
    })
    const store = internals(client).store
    const bundles = store.bundleIds().length
    expect(bundles).toBeGreaterThan(1)
    expect((await client.undo()).restored).toHaveLength(5)
    expect(await client.fetch('document')).toEqual([])
    expect(client.undoState()).toMatchObject({ undoCount: 0, redoCount: 1 })
    await client.redo()
    expect(await client.fetch('document')).toHaveLength(5)
  })

  it('refuses an undoLimit that is not a whole number ≥ 0 with bad_request', async () => {
    await expect(memoryClient({ undoLimit: -1 })).rejects.toSatisfy((e) =>
      isTidingsError(e, 'bad_request'),
    )
  })

  it('reports as stale the create of an entity whose refused bundle left the log', async () => {
    const client = await memoryClient()
    const doc = await client.create('document', { author: 'Ada', title: 'Refused' })
    const store = internals(client).store
    // What a refusal set aside as `forbidden` does (sync/lose-space.ts): the bundle leaves the log.
    store.sql.transaction(() => {
      deleteBundles(store.sql, store.bundleIds())
      store.rebuildInTransaction()
    })
    expect(await client.undo()).toEqual({
      done: true,
      restored: [],
      stale: [{ type: 'document', id: doc.id, attribute: 'deleted' }],
    })
    expect(store.bundleIds()).toEqual([])
  })
})
