import { type Bundle, formatHlc, hlcMs, newId } from '@tidings/protocol'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { openNodeDatabase } from '../node.js'
import { librarySchema } from '../test/fixtures.js'
import { restampPast } from './restamp.js'
import { Store } from './store.js'

const T = Date.parse('2026-11-26T08:00:00.000Z')
const DAY = 86_400_000
const DRIFT = 300_000
const ENTITIES = ['a', 'b', 'c']

interface Row {
  seq: number
  id: string
  entity: string
  value: string
  hlc: string
  client: string
}

type Step =
  | { kind: 'write'; entity: number; ahead: boolean }
  | { kind: 'store' }
  | { kind: 'setAside' }
  | { kind: 'remote'; entity: number; aheadMs: number }
  | { kind: 'pass'; ms: number }

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('write' as const),
    entity: fc.nat(2),
    ahead: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('store' as const) }),
  fc.record({ kind: fc.constant('setAside' as const) }),
  fc.record({
    kind: fc.constant('remote' as const),
    entity: fc.nat(2),
    aheadMs: fc.integer({ min: 0, max: DRIFT }),
  }),
  fc.record({ kind: fc.constant('pass' as const), ms: fc.integer({ min: 0, max: 120_000 }) }),
)

/** Whether the server holds a local bundle (acknowledged). */
const isStored = (store: Store, id: string): boolean =>
  store.sql.one<{ acknowledged: number }>('SELECT acknowledged FROM bundles WHERE id = ?', [id])
    ?.acknowledged === 1

const events = (store: Store): Row[] =>
  store.sql.all<Row>('SELECT seq, id, entity, value, hlc, client FROM events ORDER BY seq')

/**
 * Plays `steps` on a fresh store: local writes, some stamped a day ahead (a stale offset), the
 * server storing the queued bundles it would take (those within its drift limit), a bundle set
 * aside as refused, writes of a device up to the drift limit ahead, and time passing. Returns the store and the server's time.
 */
const play = async (steps: Step[]) => {
  let now = T
  const store = await Store.open({
    database: openNodeDatabase(':memory:'),
    schema: librarySchema,
    now: () => now,
  })
  const peer = newId()
  // A real peer's clock never repeats a stamp: two writes in one millisecond differ by counter.
  let peerCounter = 0
  for (const s of steps) {
    if (s.kind === 'write') {
      store.clock.setOffset(s.ahead ? DAY : 0)
      const entity = ENTITIES[s.entity]!
      store.commitLocal([{ type: 'document', entity, attribute: 'title', value: newId() }], 10)
    } else if (s.kind === 'store') {
      const storable = store
        .outbox(0, 1_000)
        .filter((row) => hlcMs(store.bundle(row.bundle)!.hlc) <= now + DRIFT)
      store.sql.transaction(() => store.acknowledge(storable.map((row) => row.bundle)))
    } else if (s.kind === 'setAside') {
      // Refused for good (see sync/rejected.ts): out of the outbox, still in the log.
      const last = store.outbox(0, 1_000).at(-1)
      if (last) store.sql.transaction(() => store.dequeue([last.bundle]))
    } else if (s.kind === 'remote') {
      const hlc = formatHlc({ ms: now + s.aheadMs, counter: peerCounter++, node: peer })
      const event = {
        id: newId(),
        type: 'document',
        entity: ENTITIES[s.entity]!,
        attribute: 'title',
        value: newId(),
        hlc,
        client: peer,
      }
      const bundle: Bundle = { id: newId(), client: peer, hlc, events: [event] }
      store.applyRemote([bundle])
    } else now += s.ms
  }
  store.clock.setOffset(0)
  return { store, now }
}

describe('restampPast: local bundles stamped past what the server ever stored', () => {
  it('re-stamps them in place, after every kept event and in their own order; the clock and registers follow', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        const { store, now } = await play(steps)
        const before = events(store)
        const bound = now + DRIFT
        const { bundles } = restampPast(store, bound)
        const after = events(store)

        // Only bundles the server never acknowledged got new stamps; none is left past the bound.
        const restampedEvents = new Set(
          bundles.flatMap((id) => store.bundle(id)!.events.map((e) => e.id)),
        )
        for (const id of bundles) expect(isStored(store, id)).toBe(false)
        for (const [i, row] of after.entries()) {
          const old = before[i]!
          expect(row.id).toBe(old.id)
          if (!restampedEvents.has(row.id)) expect(row.hlc).toBe(old.hlc)
        }
        for (const row of after) expect(hlcMs(row.hlc)).toBeLessThanOrEqual(bound + 1)

        // New stamps come after every kept one, and this device's writes keep their order.
        const kept = after.filter((r) => !restampedEvents.has(r.id)).map((r) => r.hlc)
        const newest = kept.sort().at(-1) ?? ''
        for (const r of after) if (restampedEvents.has(r.id)) expect(r.hlc > newest).toBe(true)
        const own = after.filter((r) => r.client === store.clientId).map((r) => r.hlc)
        expect(own).toEqual([...own].sort())
        expect(new Set(after.map((r) => r.hlc)).size).toBe(after.length)

        // The clock is past everything in the log, so it never issues a held value again.
        const last = store.clock.last
        for (const r of after) expect(last !== null && last >= r.hlc).toBe(true)
        if (bundles.length > 0) expect(store.getState('last_hlc')).toBe(last)

        // Each register holds the event with the greatest HLC, as after a rebuild from scratch.
        const winners = new Map<string, Row>()
        for (const r of after) {
          const w = winners.get(r.entity)
          if (!w || r.hlc > w.hlc) winners.set(r.entity, r)
        }
        for (const [entity, w] of winners)
          expect(store.row('document', entity)?.title).toBe(JSON.parse(w.value))
        store.close()
      }),
      { numRuns: 60 },
    )
  })

  it('leaves everything alone when no queued bundle is past the bound', async () => {
    const { store, now } = await play([{ kind: 'write', entity: 0, ahead: false }])
    const before = events(store)
    const last = store.clock.last
    expect(restampPast(store, now + DRIFT).bundles).toEqual([])
    expect(events(store)).toEqual(before)
    expect(store.clock.last).toBe(last)
    store.close()
  })
})
