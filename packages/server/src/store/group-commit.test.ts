import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TidingsError } from '@tidings/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { TestClient } from '../testing/fixtures.js'
import { openStore } from './kysely-store.js'

/**
 * SQLite group commit: concurrent pushes share one transaction (one fsync), yet each push
 * succeeds or fails on its own, positions stay contiguous and in arrival order, and what was
 * acknowledged is on disk.
 */
describe('SQLite group commit', () => {
  let dir: string | undefined
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('stores concurrent pushes in arrival order and refuses only the conflicting one', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidings-group-'))
    const url = `sqlite:${join(dir, 'group.db')}`
    const store = await openStore(url)
    const device = new TestClient()
    const first = device.bundle({ count: 2 })
    await store.push({ stream: 's', bundles: [first], now: 1 })
    const bundles = Array.from({ length: 20 }, () => device.bundle({ count: 3 }))
    // Same id as a stored bundle, other content: a conflict, which must not sink its batch.
    const forged = { ...device.bundle({ count: 1 }), id: first.id }
    const pushes = [...bundles.slice(0, 10), forged, ...bundles.slice(10)].map((bundle) =>
      store.push({ stream: 's', bundles: [bundle], now: 2 }),
    )
    const outcomes = await Promise.allSettled(pushes)
    const refused = outcomes.filter((o) => o.status === 'rejected')
    expect(refused).toHaveLength(1)
    expect((refused[0] as PromiseRejectedResult).reason).toBeInstanceOf(TidingsError)
    expect(((refused[0] as PromiseRejectedResult).reason as TidingsError).code).toBe('conflict')
    const heads = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.head] : []))
    expect(heads).toEqual(Array.from({ length: 20 }, (_, i) => i + 2))
    await store.close()

    const reopened = await openStore(url)
    expect(await reopened.bundleIds('s')).toEqual([first.id, ...bundles.map((b) => b.id)])
    const page = await reopened.pull({ stream: 's', after: 0, limit: 100, maxEvents: 1_000 })
    expect(page.cursor).toBe(21)
    await reopened.close()
  })

  it('acknowledges a re-push of stored bundles without adding them again', async () => {
    const store = await openStore('memory')
    const device = new TestClient()
    const bundle = device.bundle({ count: 2 })
    const [a, b] = await Promise.all([
      store.push({ stream: 's', bundles: [bundle], now: 1 }),
      store.push({ stream: 's', bundles: [bundle], now: 1 }),
    ])
    expect([a.added, b.added]).toEqual([1, 0])
    expect([a.accepted, b.accepted]).toEqual([[bundle.id], [bundle.id]])
    expect((await store.pull({ stream: 's', after: 0, limit: 10, maxEvents: 100 })).cursor).toBe(1)
    await store.close()
  })
})
