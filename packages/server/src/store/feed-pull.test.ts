import { type Bundle, newId } from '@tidings/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_BACKENDS, type TestDatabase } from '../testing/backends.js'
import { drainFeed } from '../testing/drain-feed.js'
import { TestClient } from '../testing/fixtures.js'
import { SpaceFixture } from '../testing/space-fixture.js'
import { feedMark } from './feed-pull.js'
import { openStore } from './kysely-store.js'
import type { Store } from './store.js'

/**
 * Pulling the shared spaces through the user's feed: joins give the whole history, removals end
 * a space, big windows are paged, and a position never skips.
 */
describe.each(TEST_BACKENDS)('the feed of shared spaces on $name', (backend) => {
  let database: TestDatabase
  let store: Store
  let spaces: SpaceFixture
  beforeAll(async () => {
    database = await backend.create()
    store = await openStore(database.url)
    spaces = new SpaceFixture(store)
  })
  afterAll(async () => {
    await store?.close()
    await database?.dispose()
  })

  const device = new TestClient()
  const push = async (user: string, space: string, count = 1): Promise<Bundle[]> => {
    const bundles = Array.from({ length: count }, () => device.bundle())
    await store.push({
      stream: user,
      bundles: bundles.map((b) => ({ ...b, space })),
      now: Date.now(),
    })
    return bundles
  }
  const ids = (bundles: Bundle[]) => bundles.map((b) => b.id)

  it("gives a new member the space's whole history, then what is pushed after", async () => {
    const [owner, friend] = [newId(), newId()]
    const space = await spaces.createSpace(owner, 'reading list')
    const before = await push(owner, space, 3)
    await spaces.join(space, friend, 'writer')
    const after = await push(owner, space, 2)
    const seen = await drainFeed(store, friend)
    expect(seen.ids).toEqual(ids([...before, ...after]))
    expect(seen.changes).toEqual([{ id: space, role: 'writer' }])
  })

  it('leaves out of pushes only the bundles the request carried, never the rest of its device’s', async () => {
    const owner = newId()
    const space = await spaces.createSpace(owner)
    // The device's too: it may have lost it to a rollback, and a sibling pushed it back.
    const earlier = await push(owner, space)
    const carried = await push(owner, space)
    expect((await drainFeed(store, owner, { exclude: ids(carried) })).ids).toEqual(ids(earlier))
  })

  it("gives a rejoining member the whole history again, its own device's bundles included", async () => {
    const [owner, friend] = [newId(), newId()]
    const space = await spaces.createSpace(owner)
    await spaces.join(space, friend, 'writer')
    const own = await push(friend, space)
    await spaces.remove(space, friend)
    const missed = await push(owner, space)
    await spaces.join(space, friend, 'reader')
    const seen = await drainFeed(store, friend, { exclude: ids([...own, ...missed]) })
    // Pushes leave out the bundles a request carried; a join's window does not.
    expect(seen.ids).toEqual(ids([...own, ...missed]))
    expect(seen.changes).toEqual([
      { id: space, role: 'writer' },
      { id: space, role: null },
      { id: space, role: 'reader' },
    ])
  })

  it('gives a removed member nothing pushed after the removal, and the removal last', async () => {
    const [owner, friend] = [newId(), newId()]
    const space = await spaces.createSpace(owner)
    await spaces.join(space, friend, 'reader')
    const kept = await push(owner, space, 2)
    await spaces.remove(space, friend)
    await push(owner, space, 2)
    for (const limit of [1, 100]) {
      const seen = await drainFeed(store, friend, { limit })
      expect(seen.ids).toEqual(ids(kept))
      expect(seen.changes).toEqual([
        { id: space, role: 'reader' },
        { id: space, role: null },
      ])
    }
  })

  it('ends a page before a removal when the page holds bundles of that space', async () => {
    const [owner, friend] = [newId(), newId()]
    const space = await spaces.createSpace(owner)
    await spaces.join(space, friend, 'reader')
    const kept = await push(owner, space)
    await spaces.remove(space, friend)
    const first = await store.pullFeed({
      user: friend,
      after: 0,
      within: 0,
      limit: 10,
      maxEvents: 100,
    })
    expect(ids(first.bundles)).toEqual(ids(kept))
    expect(first.changes.map((c) => c.role)).toEqual(['reader'])
    expect(first.more).toBe(true)
    const next = await store.pullFeed({
      user: friend,
      ...first.position,
      limit: 10,
      maxEvents: 100,
    })
    expect(next.bundles).toEqual([])
    expect(next.changes.map((c) => c.role)).toEqual([null])
    expect(next.more).toBe(false)
  })

  it('pages a big join window by position within the space, never skipping or repeating', async () => {
    const [owner, friend] = [newId(), newId()]
    const [one, two] = [await spaces.createSpace(owner), await spaces.createSpace(owner)]
    const history = [...(await push(owner, one, 7)), ...(await push(owner, two, 5))]
    await spaces.join(one, friend, 'reader')
    await spaces.join(two, friend, 'reader')
    for (const limit of [1, 2, 3, 5, 50]) {
      const seen = await drainFeed(store, friend, { limit })
      expect(seen.ids).toEqual(ids(history))
      // Each join is told once, however the pages fall.
      expect(seen.changes).toEqual([
        { id: one, role: 'reader' },
        { id: two, role: 'reader' },
      ])
    }
  })

  it('reads a feed of many small pushes into several spaces in order, whatever the page size', async () => {
    const [owner, friend] = [newId(), newId()]
    const all = [await spaces.createSpace(owner), await spaces.createSpace(owner)]
    for (const space of all) await spaces.join(space, friend, 'writer')
    const other = new TestClient()
    const expected: string[] = []
    // The bundles a sync request carries stay out of its page (see PullOptions.exclude).
    const carried: string[] = []
    for (let i = 0; i < 30; i++) {
      const space = all[i % all.length] as string
      const mine = i % 3 === 0
      const bundles = Array.from({ length: 1 + (i % 2) }, () =>
        mine ? device.bundle() : other.bundle(),
      )
      await store.push({
        stream: mine ? friend : owner,
        bundles: bundles.map((b) => ({ ...b, space })),
        now: Date.now(),
      })
      if (mine) carried.push(...ids(bundles))
      else expected.push(...ids(bundles))
    }
    for (const limit of [1, 2, 7, 100]) {
      const seen = await drainFeed(store, friend, { limit, exclude: carried })
      expect(seen.ids).toEqual(expected)
    }
  })

  it('notices a feed that is not the one its cursor was read from', async () => {
    const owner = newId()
    const space = await spaces.createSpace(owner)
    await push(owner, space)
    const page = await store.pullFeed({
      user: owner,
      after: 0,
      within: 0,
      limit: 10,
      maxEvents: 100,
    })
    const { after, mark } = page.position
    expect(mark).toMatch(/^[0-9A-Za-z_-]{8}$/)
    const ask = (position: { after: number; check?: string }) =>
      store.pullFeed({ user: owner, within: 0, limit: 10, maxEvents: 100, ...position })
    expect((await ask({ after, check: mark ?? '' })).reset).toBeUndefined()
    expect((await ask({ after, check: 'AAAAAAAA' })).reset).toBe(true)
    expect((await ask({ after: after + 5 })).reset).toBe(true)
    expect(
      feedMark({ ...{ pos: 1, space, kind: 'push', from: 1, to: 1, role: null, at: 1 } }),
    ).not.toBe(feedMark({ pos: 1, space, kind: 'push', from: 1, to: 1, role: null, at: 2 }))
  })
})
