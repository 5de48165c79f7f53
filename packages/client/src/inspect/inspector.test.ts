import { describe, expect, it } from 'vitest'
import { internals, manualClock, memoryClient } from '../test/fixtures.js'
import { decodeHlc } from './hlc.js'

const tick = () => new Promise((resolve) => setTimeout(resolve, 0))

/**
 * `client.inspector()` on a device with no server: what the log, an entity's history, the
 * outbox and the live queries look like. (Sync state, refusals, the token and resets need a
 * server: `inspector-sync.test.ts`, `reset-device.test.ts`.)
 */
describe('inspector: the local log', () => {
  it('lists an entity’s events newest first, each HLC decoded into date, counter and device', async () => {
    const clock = manualClock(Date.parse('2026-12-05T10:00:00.000Z'))
    const client = await memoryClient({ now: clock.now })
    const doc = await client.create('document', { author: 'Ada', title: 'Notes' })
    clock.advance(1_000)
    await client.update('document', doc.id, { title: 'Notes, edited' })
    await client.create('document', { author: 'Bo', title: 'Other' })

    const { events, next } = await client.inspector().events({ type: 'document', id: doc.id })
    expect(next).toBeNull()
    // The edit, then the create's events (one per attribute it wrote); the create's title lost.
    const [edit, ...created] = events
    expect([edit!.attribute, edit!.value, edit!.wins]).toEqual(['title', 'Notes, edited', true])
    expect(created.find((e) => e.attribute === 'title')).toMatchObject({
      value: 'Notes',
      wins: false,
    })
    expect(created.find((e) => e.attribute === 'author')).toMatchObject({
      value: 'Ada',
      wins: true,
    })
    expect(edit!.hlc).toEqual({
      text: edit!.hlc.text,
      time: '2026-12-05T10:00:01.000Z',
      counter: 0,
      node: client.clientId,
    })
    expect(edit).toMatchObject({
      type: 'document',
      entity: doc.id,
      local: true,
      acknowledged: false,
      space: null,
    })
    expect(edit!.bundle).toMatch(/^[0-9a-f-]{36}$/)
    // Events stamped in one millisecond count up.
    expect(events.slice(1).map((e) => e.hlc.counter)).toContain(1)
    await client.close()
  })

  it('pages through the whole log with `before`, and filters by type', async () => {
    const client = await memoryClient()
    for (let i = 0; i < 5; i++) await client.create('simple', { items: [`${i}`] })
    await client.create('document', { author: 'Ada', title: 'one' })
    const inspector = client.inspector()
    const first = await inspector.events({ type: 'simple', limit: 3 })
    expect(first.events.map((e) => e.value)).toEqual([['4'], ['3'], ['2']])
    const second = await inspector.events({ type: 'simple', limit: 3, before: first.next! })
    expect(second.events.map((e) => e.value)).toEqual([['1'], ['0']])
    expect(second.next).toBeNull()
    const all = await inspector.events()
    expect(all.events[0]!.type).toBe('document')
    expect(all.events.map((e) => e.seq)).toEqual(
      [...all.events.map((e) => e.seq)].sort((a, b) => b - a),
    )
    await client.close()
  })

  it('tells an entity’s history: each transaction, what it changed, and the state after it', async () => {
    const clock = manualClock()
    const client = await memoryClient({ now: clock.now })
    const doc = await client.create('document', { author: 'Ada', title: 'Draft' })
    clock.advance(60_000)
    await client.update('document', doc.id, { title: 'Final', url: 'https://a.test' })
    clock.advance(60_000)
    await client.delete('document', doc.id)

    const steps = await client.inspector().history('document', doc.id)
    expect(steps.map((s) => s.changed)).toEqual([
      expect.objectContaining({ author: 'Ada', title: 'Draft' }),
      { title: 'Final', url: 'https://a.test' },
      { deleted: true },
    ])
    expect(steps.map((s) => s.state.title)).toEqual(['Draft', 'Final', 'Final'])
    expect(steps[2]!.state).toMatchObject({ author: 'Ada', deleted: true, url: 'https://a.test' })
    const at = steps.map((s) => Date.parse(s.hlc.time))
    expect(at.map((ms) => ms - at[0]!)).toEqual([0, 60_000, 120_000])
    expect(new Set(steps.map((s) => s.bundle)).size).toBe(3)
    expect(await client.inspector().history('document', 'no-such-id')).toEqual([])
    await client.close()
  })

  it('shows the outbox in push order, each bundle with its events', async () => {
    const client = await memoryClient()
    await client.transaction(async (tx) => {
      await tx.create('shelf', { name: 'Kitchen' })
      await tx.create('shelf', { name: 'Hall' })
    })
    const doc = await client.create('document', { author: 'Ada', title: 'Notes' })
    const outbox = await client.inspector().outbox({ eventsPerBundle: 2 })
    expect(outbox.total).toBe(2)
    expect(outbox.entries.map((e) => e.eventCount)).toEqual([
      expect.any(Number),
      expect.any(Number),
    ])
    expect(outbox.entries[0]!.eventCount).toBeGreaterThan(2)
    expect(outbox.entries[0]!.events).toHaveLength(2)
    expect(outbox.entries[1]!.events[0]).toMatchObject({ type: 'document', entity: doc.id })
    expect(outbox.entries[0]!.position).toBeLessThan(outbox.entries[1]!.position)
    expect(outbox.entries[1]!.hlc.node).toBe(client.clientId)
    expect(await client.inspector().outbox({ limit: 1 })).toMatchObject({ total: 2 })
    await client.close()
  })
})

describe('inspector: live queries', () => {
  it('counts each live query’s runs and rows and times them (last and median)', async () => {
    const client = await memoryClient()
    const off = client.observe('document', { where: { author: 'Ada' } }, () => {})
    client.observe('shelf', {}, () => {})
    await tick()
    await client.create('document', { author: 'Ada', title: 'one' })
    await internals(client).settled()
    await client.create('document', { author: 'Grace', title: 'not matching' })
    await internals(client).settled()

    const timings = await client.inspector().liveQueries()
    expect(timings).toHaveLength(2)
    const ada = timings.find((t) => t.type === 'document')!
    expect(ada).toMatchObject({
      query: { where: { author: 'Ada' } },
      // At start and after Ada's document: Grace's cannot change it, so it does not re-run.
      runs: 2,
      changes: 2,
      rows: 1,
    })
    expect(ada.lastMs).toBeGreaterThanOrEqual(0)
    expect(ada.medianMs).toBeGreaterThanOrEqual(0)
    expect(timings.find((t) => t.type === 'shelf')).toMatchObject({ runs: 1, rows: 0 })
    off()
    expect((await client.inspector().liveQueries()).map((t) => t.type)).toEqual(['shelf'])
    await client.close()
  })
})

describe('decodeHlc', () => {
  it('takes an HLC apart, and shows a corrupt one as it is instead of throwing', () => {
    const node = '0190c1d2-0000-7000-8000-000000000000'
    expect(decodeHlc(`2026-11-26T04:46:02.123Z-001F-${node}`)).toEqual({
      text: `2026-11-26T04:46:02.123Z-001F-${node}`,
      time: '2026-11-26T04:46:02.123Z',
      counter: 31,
      node,
    })
    expect(decodeHlc('garbage')).toEqual({ text: 'garbage', time: '', counter: -1, node: '' })
  })
})
