import { DEFAULT_LIMITS, hlcMs } from '@tidings/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { internals, type LibraryClient } from '../test/fixtures.js'
import { type RunningServer, serverClient, startBackend } from '../test/server.js'

const DAY = 86_400_000
const MINUTE = 60_000

/** A device clock `skew` ms off real time, which `set` puts right (or wrong) like the OS would. */
const deviceClock = (skew: number) => {
  let wall = skew
  return {
    now: () => Date.now() + wall,
    monotonic: () => performance.now(),
    set: (ms: number) => {
      wall = ms
    },
  }
}

/** The HLC of the device's latest bundle, in epoch ms. */
const latestStamp = (client: LibraryClient): number => {
  const store = internals(client).store
  return hlcMs(store.bundle(store.bundleIds().at(-1)!)!.hlc)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('clock faults (issue 13, case 1)', () => {
  let server: RunningServer
  beforeAll(async () => {
    server = (await startBackend('sqlite')).server
  })
  afterAll(() => server?.close())

  it('a device a day slow, put right after it learnt its offset, stamps at the server’s time and pushes', async () => {
    const user = await server.addUser(`stale-offset-${Date.now()}`)
    const clock = deviceClock(-DAY)
    const device = await serverClient(server, user.token, clock)
    await device.sync()
    expect(Math.abs(internals(device).store.clock.offsetMs - DAY)).toBeLessThan(MINUTE)

    clock.set(0) // the OS corrects the wall clock; the monotonic clock never moved
    await device.create('document', { author: 'd', title: 'after the fix' })
    expect(Math.abs(latestStamp(device) - Date.now())).toBeLessThan(MINUTE)
    expect(await device.sync()).toEqual({ pushed: 1, pulled: 0 })
    // Dropped for good: a restart does not bring the stale offset back.
    expect(internals(device).store.getState('offset_ms')).toBe('0')
    await device.close()
  })

  it('re-stamps queued bundles stamped a day ahead (a stale offset after a restart) instead of leaving them stuck', async () => {
    const user = await server.addUser(`restamp-${Date.now()}`)
    const device = await serverClient(server, user.token)
    const doc = await device.create('document', { author: 'd', title: 'synced' })
    await device.sync()
    const acknowledged = latestStamp(device)
    // A restart loads an offset learnt before the OS put the clock right: nothing can tell.
    internals(device).store.clock.setOffset(DAY)
    await device.update('document', doc.id, { title: 'first edit' })
    await device.update('document', doc.id, { title: 'second edit' })
    await device.create('document', { author: 'd', title: 'new' })
    expect(latestStamp(device) - Date.now()).toBeGreaterThan(DAY - MINUTE)

    expect(await device.sync()).toEqual({ pushed: 3, pulled: 0 })
    expect(device.status).toMatchObject({ pending: 0, rejected: 0 })
    // The clock came back with its bundles: the next write is stamped now, after the others.
    await device.update('document', doc.id, { title: 'third edit' })
    expect(Math.abs(latestStamp(device) - Date.now())).toBeLessThan(MINUTE)
    await device.sync()

    const other = await serverClient(server, user.token)
    await other.sync()
    expect(await other.get('document', doc.id)).toMatchObject({ title: 'third edit' })
    expect(internals(other).store.dump()).toEqual(internals(device).store.dump())
    const stamps = internals(other)
      .store.bundleIds()
      .map((id) => hlcMs(internals(other).store.bundle(id)!.hlc))
    expect(Math.max(...stamps)).toBeLessThanOrEqual(Date.now() + DEFAULT_LIMITS.maxDriftMs)
    // The bundle the server already held kept its stamp (re-stamping it would be a conflict).
    expect(stamps).toContain(acknowledged)
    await device.close()
    await other.close()
  })

  it('a correct device’s later write wins over an earlier edit from a device whose clock was 4 minutes slow, then set right', async () => {
    const user = await server.addUser(`later-wins-${Date.now()}`)
    const clock = deviceClock(-4 * MINUTE) // inside the 5-minute drift limit: never refused
    const skewed = await serverClient(server, user.token, clock)
    const correct = await serverClient(server, user.token)
    const doc = await correct.create('document', { author: 'c', title: 'original' })
    await correct.sync()
    await skewed.sync() // learns +4 minutes
    clock.set(0)

    await skewed.update('document', doc.id, { title: 'earlier, skewed device' })
    await sleep(20)
    await correct.update('document', doc.id, { title: 'later, correct device' })
    for (const device of [skewed, correct, skewed]) await device.sync()

    for (const device of [skewed, correct])
      expect((await device.get('document', doc.id))?.title).toBe('later, correct device')
    await skewed.close()
    await correct.close()
  })
})
