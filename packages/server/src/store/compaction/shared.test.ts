import { type Bundle, type Event, newId, wins } from '@tidings/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_BACKENDS, type TestDatabase } from '../../testing/backends.js'
import { drainFeed } from '../../testing/drain-feed.js'
import { TestClient } from '../../testing/fixtures.js'
import { SpacesTestKit } from '../../testing/spaces.js'
import { openStore } from '../kysely-store.js'
import type { Store } from '../store.js'
import { horizonBefore } from './plan.js'

const fold = (events: Iterable<Event>): Record<string, unknown> => {
  const best = new Map<string, Event>()
  for (const e of events) {
    const key = `${e.entity}/${e.attribute}`
    if (wins(e, best.get(key))) best.set(key, e)
  }
  return Object.fromEntries([...best].map(([k, e]) => [k, e.value]).sort())
}

/**
 * A shared space compacted: members read it through their feeds (a join gives its history),
 * so a member that joined before and read half of it, and one that joins after, both end with
 * the state of the full history.
 */
describe.each(TEST_BACKENDS)('a compacted shared space on $name', (backend) => {
  let database: TestDatabase
  let store: Store
  const kit = new SpacesTestKit(() => store)
  beforeAll(async () => {
    database = await backend.create()
    store = await openStore(database.url)
  })
  afterAll(async () => {
    await store?.close()
    await database?.dispose()
  })

  it('gives early and late members the state of the full history', async () => {
    const owner = await kit.user()
    const space = await kit.space(owner)
    const early = await kit.user()
    await kit.join(space, owner, early, 'reader')
    const device = new TestClient()
    const entities = [newId(), newId()]
    const bundles: Bundle[] = []
    for (let i = 0; i < 12; i++) {
      const entity = entities[i % 2] as string
      const b = device.bundle({
        events: [device.event({ entity, value: i }), device.event({ entity, attribute: 'note' })],
      })
      bundles.push({ ...b, space })
    }
    await store.push({ stream: owner, bundles, now: Date.now() })
    const full = fold(bundles.flatMap((b) => b.events))
    // The early member reads a first page of 5 bundles, then the space is compacted.
    const first = await store.pullFeed({
      user: early,
      after: 0,
      within: 0,
      limit: 5,
      maxEvents: 1_000,
    })
    expect(first.bundles).toHaveLength(5)
    const result = await store.compact({ space, horizon: horizonBefore(Date.now() + 1, 0) })
    expect(result.dropped).toBe(20)
    let position = { after: first.position.after, within: first.position.within }
    const seen = [...first.bundles]
    for (;;) {
      const page = await store.pullFeed({ user: early, ...position, limit: 5, maxEvents: 1_000 })
      seen.push(...page.bundles)
      position = { after: page.position.after, within: page.position.within }
      if (!page.more) break
    }
    expect(fold(seen.flatMap((b) => b.events))).toEqual(full)
    // A member joining now reads the winners only: two registers of two entities.
    const late = await kit.user()
    await kit.join(space, owner, late, 'reader')
    const drained = await drainFeed(store, late)
    const got = await store.readableBundles(late, drained.ids)
    expect(got.flatMap((b) => b.events)).toHaveLength(4)
    expect(fold(got.flatMap((b) => b.events))).toEqual(full)
    expect(await store.horizons([space])).toEqual(new Map([[space, result.horizon]]))
  })
})
