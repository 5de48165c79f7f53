import { type Bundle, type Event, newId, wins } from '@tidings/protocol'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_BACKENDS, type TestDatabase } from '../../testing/backends.js'
import { TestClient } from '../../testing/fixtures.js'
import { openStore } from '../kysely-store.js'
import type { Store } from '../store.js'
import { horizonBefore } from './plan.js'

/** One write of a generated log: which device, at which second, sets what. */
interface Write {
  device: number
  entity: number
  attribute: 'title' | 'note' | 'deleted'
  value: number
}

const T0 = Date.parse('2026-01-01T00:00:00.000Z')
const write: fc.Arbitrary<Write> = fc.record({
  device: fc.integer({ min: 0, max: 2 }),
  entity: fc.integer({ min: 0, max: 3 }),
  attribute: fc.constantFrom('title' as const, 'note' as const, 'deleted' as const),
  value: fc.integer({ min: 0, max: 9 }),
})
/** Transactions of 1–4 writes each, one second apart. */
const log = fc.array(fc.array(write, { minLength: 1, maxLength: 4 }), {
  minLength: 1,
  maxLength: 25,
})

/** The state a replica holding `events` shows: each register's winning event id and value. */
const fold = (events: Iterable<Event>): Record<string, unknown> => {
  const best = new Map<string, Event>()
  for (const e of events) {
    const key = `${e.entity}/${e.attribute}`
    if (wins(e, best.get(key))) best.set(key, e)
  }
  return Object.fromEntries([...best].map(([k, e]) => [k, [e.id, e.value]]).sort())
}

/** A generated log as bundles from three devices whose clocks read `second` seconds after T0. */
const makeBundles = (txs: Write[][], entities: string[], start = 0) => {
  let second = start
  const devices = [0, 1, 2].map(() => new TestClient(() => T0 + second * 1000))
  return txs.map((tx) => {
    second++
    const device = devices[tx[0]?.device ?? 0] as TestClient
    const events = tx.map((w) =>
      device.event({
        entity: entities[w.entity] as string,
        attribute: w.attribute,
        value: w.attribute === 'deleted' ? w.value % 2 === 0 : w.value,
      }),
    )
    return device.bundle({ events })
  })
}

/** Every bundle of the stream after `after`, page by page (small pages, to cross many). */
const drain = async (store: Store, stream: string, after = 0) => {
  const bundles: Bundle[] = []
  let cursor = after
  for (;;) {
    const page = await store.pull({ stream, after: cursor, limit: 3, maxEvents: 1_000 })
    bundles.push(...page.bundles)
    cursor = page.cursor
    if (!page.more) return { bundles, cursor }
  }
}

const eventsOf = (bundles: readonly Bundle[]) => bundles.flatMap((b) => b.events)

describe.each(TEST_BACKENDS)('compaction on $name', (backend) => {
  let database: TestDatabase
  let store: Store
  beforeAll(async () => {
    database = await backend.create()
    store = await openStore(database.url)
  })
  afterAll(async () => {
    await store?.close()
    await database?.dispose()
  })

  const newUser = async () => {
    const id = newId()
    await store.createUser({ id, name: `u-${id}`, tokenHash: `h-${id}`, now: T0 })
    return id
  }

  it('keeps the fold: a device mid-history, a new device and a late offline device all converge', async () => {
    await fc.assert(
      fc.asyncProperty(log, log, fc.nat(), fc.nat(), async (txs, late, cut, split) => {
        const user = await newUser()
        const entities = [0, 1, 2, 3].map(() => newId())
        const bundles = makeBundles(txs, entities)
        for (const bundle of bundles) await store.push({ stream: user, bundles: [bundle], now: T0 })
        const full = fold(eventsOf(bundles))
        // A device that pulled part of the history before the compaction.
        const seen = bundles.slice(0, cut % (bundles.length + 1))
        const midCursor = seen.length
        const horizon = horizonBefore(T0 + ((split % (txs.length + 2)) + 1) * 1000, 0)
        const before = (await store.streamSize(user)).events
        const result = await store.compact({ space: user, horizon, batch: 2 })
        expect(result.streams).toBe(1)
        expect((await store.streamSize(user)).events).toBe(before - result.dropped)
        // Bundles at or above the horizon are untouched; below it only superseded events went.
        const fresh = await drain(store, user)
        for (const b of fresh.bundles)
          if (b.hlc >= horizon) expect(b).toEqual(bundles.find((o) => o.id === b.id))
        expect(fold(eventsOf(fresh.bundles))).toEqual(full)
        const mid = await drain(store, user, midCursor)
        expect(fold([...eventsOf(seen), ...eventsOf(mid.bundles)])).toEqual(full)
        // Every tombstone stays.
        const tombstones = (bs: readonly Bundle[]) =>
          eventsOf(bs).filter((e) => e.attribute === 'deleted' && e.value === true).length
        expect(tombstones(fresh.bundles)).toBe(tombstones(bundles))
        // An offline device comes back with old writes (before the horizon) and new ones, and
        // pushes again a bundle of the compacted history (its retry): acknowledged, not refused.
        const offline = makeBundles(late, entities, 0)
        const again = bundles[0] as Bundle
        const pushed = await store.push({ stream: user, bundles: [again, ...offline], now: T0 })
        expect(pushed.accepted).toEqual([again.id, ...offline.map((b) => b.id)])
        const everything = fold([...eventsOf(bundles), ...eventsOf(offline)])
        expect(fold(eventsOf((await drain(store, user)).bundles))).toEqual(everything)
        const rest = await drain(store, user, mid.cursor)
        expect(
          fold([...eventsOf(seen), ...eventsOf(mid.bundles), ...eventsOf(rest.bundles)]),
        ).toEqual(everything)
        // Compacting again changes nothing anyone sees.
        await store.compact({ space: user, horizon: horizonBefore(T0 + 100_000, 0) })
        expect(fold(eventsOf((await drain(store, user)).bundles))).toEqual(everything)
      }),
      { numRuns: backend.name === 'postgres' || backend.name === 'pglite' ? 8 : 25 },
    )
  }, 120_000)

  it('acknowledges a bundle pushed again after a restore of the compacted log', async () => {
    // The original server compacts; its log is moved (as export and import do) to another
    // stream, which is compacted too; the author then pushes its original bundle again.
    const [from, to] = [await newUser(), await newUser()]
    const entity = newId()
    const device = new TestClient(() => T0)
    const first = device.bundle({
      events: [device.event({ entity, value: 'a' }), device.event({ entity, attribute: 'note' })],
    })
    const second = device.bundle({ events: [device.event({ entity, value: 'b' })] })
    await store.push({ stream: from, bundles: [first, second], now: T0 })
    const horizon = horizonBefore(T0 + 60_000, 0)
    await store.compact({ space: from, horizon })
    const moved = (await drain(store, from)).bundles
    expect(moved[0]?.events).toHaveLength(1)
    await store.push({ stream: to, bundles: moved, now: T0 })
    // Before a compaction of its own, the other stream cannot tell: a conflict, as always.
    await expect(store.push({ stream: to, bundles: [first], now: T0 })).rejects.toMatchObject({
      code: 'conflict',
    })
    await store.compact({ space: to, horizon })
    const pushed = await store.push({ stream: to, bundles: [first, second], now: T0 })
    expect(pushed).toMatchObject({ accepted: [first.id, second.id], added: 0 })
    expect(await store.horizons([to, from, newId()])).toEqual(
      new Map([
        [to, horizon],
        [from, horizon],
      ]),
    )
    // Other content under that id is still a conflict.
    const forged = { ...first, events: [{ ...(first.events[0] as Event), value: 'z' }] }
    forged.hlc = forged.events[0]?.hlc as string
    await expect(store.push({ stream: to, bundles: [forged], now: T0 })).rejects.toMatchObject({
      code: 'conflict',
    })
  })

  it('refuses a run that names no horizon, or an unknown space', async () => {
    await expect(store.compact({})).rejects.toMatchObject({ code: 'bad_request' })
    await expect(store.compact({ horizon: 'x', olderThan: 1 })).rejects.toMatchObject({
      code: 'bad_request',
    })
    await expect(store.compact({ space: newId(), olderThan: 0 })).rejects.toMatchObject({
      code: 'not_found',
    })
  })
})
