import { describe, expect, it } from 'vitest'
import type { LocalClient } from '../api/client.js'
import { openClient } from '../api/client.js'
import { openNodeDatabase } from '../node.js'
import { t } from '../schema/attr.js'
import { defineSchema } from '../schema/define.js'
import { internals, memoryClient } from '../test/fixtures.js'

describe('rebuild', () => {
  it('recomputes registers and typed tables from the log, equal to the incremental state', async () => {
    const client = await memoryClient()
    const doc = await client.create('document', { author: 'a', title: 'one', url: 'u' })
    await client.update('document', doc.id, { title: 'two', url: null })
    const gone = await client.create('document', { author: 'b', title: 'x' })
    await client.delete('document', gone.id)
    await client.create('simple', { items: ['a'] })
    const before = internals(client).store.dump()
    await client.rebuild()
    expect(internals(client).store.dump()).toEqual(before)
    expect(before.attributes.length).toBeGreaterThan(0)
  })
})

describe('schema evolution', () => {
  it('adds a type and an optional attribute to an existing database and back-fills them from the log', async () => {
    const dir = `/tmp/tidings-evolve-${process.pid}-${Date.now()}.db`
    const v2 = defineSchema({
      note: { text: t.string(), tag: t.string().optional().index() },
      label: { name: t.string() },
    })
    // Version 2 of the app writes a tag and a label...
    const newer = await openClient({ schema: v2, database: openNodeDatabase(':memory:') })
    const note = await newer.create('note', { text: 'hello', tag: 'red' })
    const label = await newer.create('label', { name: 'urgent' })
    const bundles = (() => {
      const s = (newer as unknown as LocalClient).store
      return s.bundleIds().map((id) => s.bundle(id)!)
    })()
    // ...which reach a device still on version 1: kept in the log, not materialized, no crash.
    const v1 = defineSchema({ note: { text: t.string() } })
    const old = await openClient({ schema: v1, database: openNodeDatabase(dir) })
    ;(old as unknown as LocalClient).store.applyRemote(bundles)
    expect(await old.get('note', note.id)).toEqual({ id: note.id, space: null, text: 'hello' })
    await old.close()
    // After the app update, the same database shows everything.
    const updated = await openClient({ schema: v2, database: openNodeDatabase(dir) })
    expect(await updated.get('note', note.id)).toEqual({
      id: note.id,
      space: null,
      text: 'hello',
      tag: 'red',
    })
    expect(await updated.fetch('note', { where: { tag: 'red' } })).toHaveLength(1)
    expect(await updated.get('label', label.id)).toEqual({
      id: label.id,
      space: null,
      name: 'urgent',
    })
    await updated.close()
  })
})
