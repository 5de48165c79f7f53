import { describe, expect, it } from 'vitest'
import type { LocalClient } from '../api/client.js'
import { openClient } from '../api/client.js'
import type { Client } from '../api/types.js'
import { openNodeDatabase } from '../node.js'
import { t } from '../schema/attr.js'
import { defineSchema } from '../schema/define.js'

/** Version 1 wrote `text` and `pages` as text; version 2 renamed one and retyped the other. */
const v1 = defineSchema(
  { note: { text: t.string(), pages: t.string(), due: t.number().optional() } },
  { version: 1 },
)
const v2 = defineSchema(
  {
    note: {
      body: t.string().renamedFrom('text'),
      pages: t.number().from('string', (s) => Number.parseInt(s, 10)),
      // Version 1 kept epoch ms; version 2 reads them as dates.
      due: t
        .date()
        .optional()
        .from('number', (ms) => new Date(ms)),
    },
  },
  { version: 2 },
)

/** A version 2 client holding what a version 1 client wrote. */
const fromVersion1 = async (write: (older: Client<typeof v1.types>) => Promise<void>) => {
  const older = await openClient({ schema: v1, database: openNodeDatabase(':memory:') })
  await write(older)
  const s1 = (older as unknown as LocalClient).store
  const bundles = s1.bundleIds().map((id) => s1.bundle(id)!)
  const client = await openClient({ schema: v2, database: openNodeDatabase(':memory:') })
  ;(client as unknown as LocalClient).store.applyRemote(bundles)
  return client
}

describe('history and asOf read other app versions’ events as the typed API does', () => {
  it('decodes through renames and conversions', async () => {
    let note = { id: '' }
    const client = await fromVersion1(async (older) => {
      note = await older.create('note', { text: 'first', pages: '412' })
    })

    const { events } = await client.history('note', note.id)
    expect(events.map((e) => [e.attribute, e.value, e.raw])).toEqual([
      ['text', 'first', 'first'],
      ['pages', 412, '412'],
    ])
    // Asking for `body` finds its events under the earlier name too.
    expect((await client.history('note', note.id, { attribute: 'body' })).events).toHaveLength(1)

    const created = events[1]!.hlc
    await client.update('note', note.id, { body: 'second', pages: 500 })
    const then = client.asOf(created)
    expect(await then.get('note', note.id)).toMatchObject({ body: 'first', pages: 412 })
    // Refolded like `get`: the rename is followed, and so is the conversion.
    expect(await then.fetch('note')).toEqual([
      { id: note.id, space: null, body: 'first', pages: 412 },
    ])
    expect(await client.asOf(new Date(Date.now() + 60_000)).fetch('note')).toEqual(
      await client.fetch('note'),
    )
  })
})

describe('asOf applies the schema’s conversions as the typed API does', () => {
  it('reads a converted attribute through asOf exactly as a normal read of that time', async () => {
    const due = Date.parse('2026-12-24T18:00:00.000Z')
    let ids: string[] = []
    const client = await fromVersion1(async (older) => {
      const a = await older.create('note', { text: 'a', pages: '12', due })
      const b = await older.create('note', { text: 'b', pages: '30' })
      ids = [a.id, b.id]
    })
    const [a, b] = ids as [string, string]
    const { events } = await client.history('note', b)
    const then = events.at(-1)!.hlc
    // The normal reads of that time: the typed rows, projected with the conversions.
    const got = await client.get('note', a)
    const fetched = await client.fetch('note', { orderBy: { pages: 'desc' } })
    expect(got).toEqual({ id: a, space: null, body: 'a', pages: 12, due: new Date(due) })
    expect(fetched.map((n) => n.pages)).toEqual([30, 12])

    // Both are rewritten since (by this version, in its own kinds).
    await client.update('note', a, { body: 'a2', pages: 1, due: new Date(0) })
    await client.update('note', b, { pages: 2 })
    const past = client.asOf(then)
    expect(await past.get('note', a)).toEqual(got)
    expect(await past.fetch('note', { orderBy: { pages: 'desc' } })).toEqual(fetched)
    // Filters and order run over the converted values, as on the typed table.
    expect(await past.fetch('note', { where: { pages: 12 } })).toEqual([got])
    expect(await past.fetch('note', { where: { due: new Date(due) } })).toEqual([got])
    // And the present through a view after every write is today's read.
    const now = client.asOf(new Date(Date.now() + 60_000))
    expect(await now.fetch('note')).toEqual(await client.fetch('note'))
  })
})
