import { newId } from '@tidings/protocol'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshPostgres, hasPostgres, type TestDatabase } from '../testing/backends.js'
import { TestClient } from '../testing/fixtures.js'
import { openStore } from './kysely-store.js'
import type { Store } from './store.js'

/** Pulls everything after `cursor`, page by page; returns the ids and the final cursor. */
const drain = async (store: Store, stream: string, cursor: number, limit: number) => {
  const ids: string[] = []
  for (;;) {
    const page = await store.pull({
      stream,
      after: cursor,
      limit,
      maxEvents: 10_000,
    })
    ids.push(...page.bundles.map((b) => b.id))
    cursor = page.cursor
    if (!page.more) return { ids, cursor }
  }
}

/**
 * Devices of one user sync (push, then the page after their cursor) all at once, each with the
 * cursor it was given: most answers come from a device already at the head, whose page is
 * known empty and not read. Every device must still end with all the others' bundles, once; of
 * its own, a page leaves out those its request carried, and brings back only ones it pushed
 * while behind (beyond that request's page).
 */
const syncAllAtOnce = async (store: Store) => {
  const stream = newId()
  const devices = Array.from({ length: 12 }, () => new TestClient())
  const pushed = new Map<TestClient, string[]>()
  const seen = new Map<TestClient, string[]>()
  const cursors = new Map<TestClient, number>()
  const sync = async (device: TestClient, count: number) => {
    const bundles = Array.from({ length: count }, () => device.bundle())
    const after = cursors.get(device) ?? 0
    const { page } = await store.sync(
      { stream, bundles, now: Date.now() },
      { stream, after, limit: 5, maxEvents: 10_000, exclude: bundles.map((b) => b.id) },
    )
    pushed.set(device, [...(pushed.get(device) ?? []), ...bundles.map((b) => b.id)])
    seen.set(device, [...(seen.get(device) ?? []), ...page.bundles.map((b) => b.id)])
    cursors.set(device, page.cursor)
  }
  await Promise.all(
    devices.map(async (device, d) => {
      for (let i = 0; i < 20; i++) await sync(device, 1 + ((i + d) % 2))
    }),
  )
  for (const device of devices) {
    const rest = await drain(store, stream, cursors.get(device) ?? 0, 50)
    const others = devices.filter((d) => d !== device).flatMap((d) => pushed.get(d) ?? [])
    const own = new Set(pushed.get(device))
    const got = [...(seen.get(device) ?? []), ...rest.ids]
    expect(new Set(got).size).toBe(got.length)
    const gotOthers = got.filter((id) => !own.has(id))
    expect(gotOthers.length).toBe(others.length)
    expect(new Set(gotOthers)).toEqual(new Set(others))
  }
}

describe('cursor paging (property, SQLite)', () => {
  let store: Store
  beforeAll(async () => {
    store = await openStore('memory')
  })
  afterAll(async () => {
    await store?.close()
  })

  it('returns exactly the bundles after the cursor, in push order, whatever the interleaving and page size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            device: fc.nat(3),
            bundles: fc.integer({ min: 0, max: 3 }),
            pullAfter: fc.boolean(),
          }),
          {
            maxLength: 25,
          },
        ),
        fc.integer({ min: 1, max: 5 }),
        async (steps, limit) => {
          const stream = newId()
          const devices = [0, 1, 2, 3].map(() => new TestClient())
          const expected: string[] = []
          const seen: string[] = []
          let cursor = 0
          for (const step of steps) {
            const device = devices[step.device] as TestClient
            const bundles = Array.from({ length: step.bundles }, () => device.bundle())
            await store.push({ stream, bundles, now: Date.now() })
            // Every device's, the puller's own included: a pull that carries none leaves none out.
            expected.push(...bundles.map((b) => b.id))
            if (step.pullAfter) {
              const pulled = await drain(store, stream, cursor, limit)
              seen.push(...pulled.ids)
              cursor = pulled.cursor
            }
          }
          seen.push(...(await drain(store, stream, cursor, limit)).ids)
          expect(seen).toEqual(expected)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('gives every syncing device all the others’ bundles, once, while all of them push', () =>
    syncAllAtOnce(store))
})

/**
 * Invariant 4 under real concurrency: many connections push into one stream while a reader
 * pulls by cursor. Positions are assigned at commit under the stream's row lock, so the reader
 * never moves its cursor past a bundle that commits later.
 */
describe.skipIf(!hasPostgres)('cursor never skips under concurrent pushes (real Postgres)', () => {
  let database: TestDatabase
  let store: Store
  beforeAll(async () => {
    database = await freshPostgres()
    store = await openStore(database.url)
  })
  afterAll(async () => {
    await store?.close()
    await database?.dispose()
  })

  it('lets the reader end with every bundle, once, in position order', async () => {
    const stream = newId()
    const writers = Array.from({ length: 16 }, () => new TestClient())
    const pushed: string[] = []
    let done = false
    const write = async (device: TestClient) => {
      for (let i = 0; i < 25; i++) {
        const bundles = Array.from({ length: 1 + (i % 3) }, () => device.bundle({ count: 2 }))
        await store.push({ stream, bundles, now: Date.now() })
        pushed.push(...bundles.map((b) => b.id))
      }
    }
    const seen: string[] = []
    const read = async () => {
      let cursor = 0
      let pulls = 0
      while (!done || pulls === 0) {
        const pulled = await drain(store, stream, cursor, 7)
        seen.push(...pulled.ids)
        cursor = pulled.cursor
        pulls++
      }
      seen.push(...(await drain(store, stream, cursor, 7)).ids)
      return pulls
    }
    const reading = read()
    await Promise.all(writers.map(write))
    done = true
    const pulls = await reading
    expect(pulls).toBeGreaterThan(1)
    expect(seen.length).toBe(pushed.length)
    expect(new Set(seen)).toEqual(new Set(pushed))
    expect((await drain(store, stream, 0, 1_000)).ids).toEqual(seen)
  })

  it('gives every syncing device all the others’ bundles, once, while all of them push', () =>
    syncAllAtOnce(store))

  it('accepts the same bundle pushed by many connections at once, storing it once', async () => {
    const stream = newId()
    const device = new TestClient()
    const bundle = device.bundle({ count: 3 })
    const results = await Promise.all(
      Array.from({ length: 12 }, () => store.push({ stream, bundles: [bundle], now: Date.now() })),
    )
    expect(results.map((r) => r.accepted)).toEqual(Array(12).fill([bundle.id]))
    expect(results.filter((r) => r.added === 1)).toHaveLength(1)
    expect(await store.bundleIds(stream)).toEqual([bundle.id])
    expect((await drain(store, stream, 0, 10)).cursor).toBe(1)
  })
})
