import { type Bundle, newId, TidingsError } from '@tidings/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_BACKENDS, type TestDatabase } from '../testing/backends.js'
import { drainFeed } from '../testing/drain-feed.js'
import { TestClient } from '../testing/fixtures.js'
import { SpaceFixture } from '../testing/space-fixture.js'
import { openStore } from './kysely-store.js'
import type { Store } from './store.js'

const refusal = async (promise: Promise<unknown>): Promise<TidingsError> => {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  if (!(err instanceof TidingsError)) throw new Error(`expected a refusal, got ${String(err)}`)
  return err
}

/** Pushes into a shared space: role checked under the space's lock, one feed entry per member. */
describe.each(TEST_BACKENDS)('pushes into shared spaces on $name', (backend) => {
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

  const push = (user: string, bundles: Bundle[], space?: string) =>
    store.push({
      stream: user,
      bundles: bundles.map((b) => (space === undefined ? b : { ...b, space })),
      now: Date.now(),
    })

  it("stores a writer's bundles in the space and tells every member, the pusher too", async () => {
    const [owner, writer] = [newId(), newId()]
    const space = await spaces.createSpace(owner, 'family')
    await spaces.join(space, writer, 'writer')
    const phone = new TestClient()
    const bundles = [phone.bundle(), phone.bundle()]
    const pushed = await push(writer, bundles, space)
    expect(pushed.accepted).toEqual(bundles.map((b) => b.id))
    expect(pushed.shared).toEqual([
      { space, head: 2, added: 2, members: expect.arrayContaining([owner, writer]) },
    ])
    const seen = await drainFeed(store, owner)
    expect(seen.ids).toEqual(bundles.map((b) => b.id))
    expect(seen.spaces).toEqual([space, space])
    expect(seen.changes).toEqual([{ id: space, role: 'owner' }])
    // The request that carried them leaves them out, as in the private stream.
    const carried = bundles.map((b) => b.id)
    expect((await drainFeed(store, writer, { exclude: carried })).ids).toEqual([])
    expect(await store.bundleIds(writer)).toEqual([])
  })

  it('acknowledges the same push again and stores it once', async () => {
    const owner = newId()
    const space = await spaces.createSpace(owner)
    const bundle = new TestClient().bundle()
    await push(owner, [bundle], space)
    const again = await push(owner, [bundle], space)
    expect(again.accepted).toEqual([bundle.id])
    expect(again.shared ?? []).toEqual([])
    expect((await drainFeed(store, owner)).ids).toEqual([bundle.id])
  })

  it('refuses a whole request holding a bundle for a space the pusher may not write', async () => {
    const [owner, reader, stranger] = [newId(), newId(), newId()]
    const space = await spaces.createSpace(owner)
    await spaces.join(space, reader, 'reader')
    const device = new TestClient()
    const mine = device.bundle()
    const theirs = device.bundle()
    const err = await refusal(
      store.push({ stream: reader, bundles: [mine, { ...theirs, space }], now: Date.now() }),
    )
    expect(err.code).toBe('forbidden')
    expect(err.details).toEqual({ bundles: [theirs.id], spaces: [{ id: space, role: 'reader' }] })
    expect(await store.bundleIds(reader)).toEqual([]) // nothing stored, its private bundle neither
    const nowhere = newId()
    const strangers = await refusal(push(stranger, [device.bundle()], nowhere))
    expect(strangers.details).toMatchObject({ spaces: [{ id: nowhere, role: null }] })
    expect((await drainFeed(store, owner)).ids).toEqual([])
  })

  it('still acknowledges a bundle the space holds after its pusher was removed', async () => {
    const [owner, writer] = [newId(), newId()]
    const space = await spaces.createSpace(owner)
    await spaces.join(space, writer, 'writer')
    const device = new TestClient()
    const bundle = device.bundle()
    await push(writer, [bundle], space)
    await spaces.remove(space, writer)
    expect((await push(writer, [bundle], space)).accepted).toEqual([bundle.id])
    const err = await refusal(push(writer, [device.bundle()], space))
    expect(err.details).toMatchObject({ spaces: [{ id: space, role: null }] })
  })

  it("refuses a bundle that writes another space's entity", async () => {
    const owner = newId()
    const [home, other] = [await spaces.createSpace(owner), await spaces.createSpace(owner)]
    const device = new TestClient()
    const entity = newId()
    await push(owner, [device.bundle({ events: [device.event({ entity })] })], home)
    const trespass = device.bundle({ events: [device.event({ entity })] })
    const err = await refusal(push(owner, [trespass], other))
    expect(err.code).toBe('forbidden')
    expect(err.details).toEqual({ bundle: trespass.id, entity })
    // The home space writes it as often as it likes.
    await push(owner, [device.bundle({ events: [device.event({ entity })] })], home)
  })

  it('refuses a bundle id already held by another space', async () => {
    const owner = newId()
    const [one, two] = [await spaces.createSpace(owner), await spaces.createSpace(owner)]
    const bundle = new TestClient().bundle()
    await push(owner, [bundle], one)
    expect((await refusal(push(owner, [bundle], two))).code).toBe('conflict')
  })

  it("keeps a bundle naming the pusher's own id private, hashed as if it named none", async () => {
    const user = newId()
    const bundle = new TestClient().bundle()
    await push(user, [bundle], user)
    expect((await push(user, [bundle])).accepted).toEqual([bundle.id])
    expect(await store.bundleIds(user)).toEqual([bundle.id])
  })
})
