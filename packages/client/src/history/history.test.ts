import { isTidingsError } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { internals, manualClock, memoryClient } from '../test/fixtures.js'

const at = (iso: string) => Date.parse(iso)

describe('client.history', () => {
  it('lists every event of an entity in HLC order, decoded, with who and when', async () => {
    const clock = manualClock(at('2026-12-01T10:00:00.000Z'))
    const client = await memoryClient({ now: clock.now })
    const shelf = await client.create('shelf', { name: 'Poems', opened: new Date('2026-01-02') })
    clock.advance(60_000)
    await client.update('shelf', shelf.id, { name: 'Poetry', public: true })
    clock.advance(60_000)
    await client.delete('shelf', shelf.id)

    const { events, truncatedBefore } = await client.history('shelf', shelf.id)
    expect(truncatedBefore).toBeUndefined()
    expect(events.map((e) => [e.attribute, e.value, e.wins])).toEqual([
      ['name', 'Poems', false],
      ['opened', new Date('2026-01-02'), true],
      ['public', false, false],
      ['name', 'Poetry', true],
      ['public', true, true],
      ['deleted', true, true],
    ])
    const last = events[events.length - 1]!
    expect(last).toMatchObject({
      deleted: true,
      raw: true,
      client: client.clientId,
      local: true,
      time: new Date('2026-12-01T10:02:00.000Z'),
      counter: 0,
    })
    expect(last.hlc.startsWith('2026-12-01T10:02:00.000Z-0000-')).toBe(true)
    // Strictly increasing HLCs: the order last-writer-wins decides by.
    for (let i = 1; i < events.length; i++) expect(events[i]!.hlc > events[i - 1]!.hlc).toBe(true)
  })

  it('filters by attribute, and refuses names the schema lacks with bad_request', async () => {
    const client = await memoryClient()
    const doc = await client.create('document', { author: 'Ada', title: 'one' })
    await client.update('document', doc.id, { title: 'two' })
    const titles = await client.history('document', doc.id, { attribute: 'title' })
    expect(titles.events.map((e) => e.value)).toEqual(['one', 'two'])
    const refusal = (p: Promise<unknown>) =>
      p.then(
        () => null,
        (e: unknown) => e,
      )
    const unknownType = await refusal(client.history('nope' as 'document', doc.id))
    expect(isTidingsError(unknownType, 'bad_request')).toBe(true)
    const unknownAttr = await refusal(
      client.history('document', doc.id, { attribute: 'colour' as 'title' }),
    )
    expect(isTidingsError(unknownAttr, 'bad_request')).toBe(true)
    expect(await client.history('document', 'no-such-id')).toEqual({ events: [] })
  })
})

describe('client.asOf', () => {
  it('answers get and fetch as the state was at an HLC or a time', async () => {
    const clock = manualClock(at('2026-12-01T10:00:00.000Z'))
    const client = await memoryClient({ now: clock.now })
    const a = await client.create('document', { author: 'Ada', title: 'draft' })
    clock.advance(1_000)
    const b = await client.create('document', { author: 'Bea', title: 'notes' })
    const { events } = await client.history('document', b.id)
    const bCreated = events[events.length - 1]!.hlc
    clock.advance(1_000)
    await client.update('document', a.id, { title: 'final', url: 'https://a.test' })
    clock.advance(1_000)
    await client.delete('document', b.id)

    const first = client.asOf(new Date('2026-12-01T10:00:00.000Z'))
    expect(await first.get('document', a.id)).toEqual({
      id: a.id,
      space: null,
      author: 'Ada',
      title: 'draft',
    })
    expect(await first.get('document', b.id)).toBeNull()
    expect(await first.fetch('document')).toHaveLength(1)

    const both = client.asOf(bCreated)
    expect(both.at).toBe(bCreated)
    expect(
      (await both.fetch('document', { orderBy: { title: 'desc' } })).map((d) => d.title),
    ).toEqual(['notes', 'draft'])
    expect(await both.fetch('document', { where: { author: 'Bea' } })).toHaveLength(1)

    // After the delete: gone, unless asked for with includeDeleted, as with `fetch`.
    const now = client.asOf(Date.now() + 60_000_000)
    expect(await now.get('document', b.id)).toBeNull()
    expect(await now.fetch('document')).toEqual(await client.fetch('document'))
    expect(await now.fetch('document', { includeDeleted: true })).toHaveLength(2)
  })

  it('refuses a bound that is neither an HLC nor a time, and unknown fields, with bad_request', async () => {
    const client = await memoryClient()
    expect(() => client.asOf('yesterday')).toThrow(/not an HLC/)
    const view = client.asOf(new Date())
    await expect(view.fetch('document', { where: { colour: 'red' } as never })).rejects.toSatisfy(
      (e) => isTidingsError(e, 'bad_request'),
    )
  })
})

describe('client.truncateLog', () => {
  it('drops acknowledged superseded events, keeps winners, tombstones and unsent ones; rebuild gives the same state', async () => {
    const clock = manualClock(at('2026-12-01T10:00:00.000Z'))
    const client = await memoryClient({ now: clock.now })
    const store = internals(client).store
    const doc = await client.create('document', { author: 'Ada', title: 'v1' })
    for (const title of ['v2', 'v3', 'v4']) {
      clock.advance(60_000)
      await client.update('document', doc.id, { title })
    }
    // Nothing was acknowledged yet (no server): nothing may go.
    expect((await client.truncateLog({ keepBytes: 0 })).dropped).toBe(0)
    store.sql.transaction(() => store.acknowledge(store.bundleIds()))

    const before = store.dump()
    const truncated = await client.truncateLog({ olderThan: at('2026-12-01T10:02:30.000Z') })
    // v1 and v2 were superseded (by v2 and v3) before 10:02:30; v3 only at 10:03.
    expect(truncated).toMatchObject({ dropped: 2, kept: 3 })
    expect(truncated.bytesAfter).toBeLessThan(truncated.bytesBefore)
    expect(truncated.horizon?.startsWith('2026-12-01T10:02:00.000Z')).toBe(true)
    const history = await client.history('document', doc.id, { attribute: 'title' })
    expect(history.events.map((e) => e.value)).toEqual(['v3', 'v4'])
    expect(history.truncatedBefore).toBe(truncated.horizon)

    // asOf at or after the horizon is still exact; before it, the view says it is cut.
    expect(client.asOf(truncated.horizon!).truncatedBefore).toBeUndefined()
    expect((await client.asOf(truncated.horizon!).get('document', doc.id))?.title).toBe('v3')
    expect(client.asOf(at('2026-12-01T10:00:00.000Z')).truncatedBefore).toBe(truncated.horizon)

    await client.rebuild()
    expect(store.dump()).toEqual(before)
    // The rest goes with a size budget; the winner stays whatever the budget.
    expect(await client.truncateLog({ keepBytes: 0 })).toMatchObject({ dropped: 1, kept: 2 })
    expect((await client.get('document', doc.id))?.title).toBe('v4')
  })

  it('needs a bound', async () => {
    const client = await memoryClient()
    await expect(client.truncateLog({})).rejects.toSatisfy((e) => isTidingsError(e, 'bad_request'))
  })
})
