import { type Bundle, newId } from '@tidings/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashToken } from '../../auth/token.js'
import { TEST_BACKENDS, type TestDatabase } from '../../testing/backends.js'
import { drainFeed } from '../../testing/drain-feed.js'
import { TestClient } from '../../testing/fixtures.js'
import { SpacesTestKit } from '../../testing/spaces.js'
import { openStore } from '../kysely-store.js'
import type { Store } from '../store.js'

/**
 * `Store.deleteUser` (`tidings user delete`): a user goes with everything only it holds, in one
 * transaction; what it wrote into spaces others still use stays, as their history.
 */
describe.each(TEST_BACKENDS)('deleting a user on $name', (backend) => {
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

  /** A user with a real token and one registered device. */
  const person = async (name: string) => {
    const id = newId()
    const token = `token-${id}`
    await store.createUser({ id, name, tokenHash: hashToken(token), now: Date.now() })
    const device = new TestClient()
    await store.registerClients(id, [device.id], Date.now())
    return { id, name, token, device }
  }
  type Person = Awaited<ReturnType<typeof person>>
  const push = async (who: Person, count: number, space?: string): Promise<Bundle[]> => {
    const bundles = Array.from({ length: count }, () => who.device.bundle())
    const tagged = bundles.map((b) => (space ? { ...b, space } : b))
    await store.push({ stream: who.id, bundles: tagged, now: Date.now() })
    return bundles
  }
  const names = async () => (await store.listUsers()).map((u) => u.name)
  const spaceNames = async () => (await store.listAllSpaces()).map((s) => s.name)

  it('removes the user, its private bundles, devices, token, invites and the spaces it alone is in, and keeps what it wrote into spaces others use', async () => {
    const ann = await person(`ann-${newId().slice(-6)}`)
    const bob = await person(`bob-${newId().slice(-6)}`)
    await push(ann, 3)
    await push(bob, 1)
    const solo = await kit.space(ann.id, `solo-${ann.name}`)
    await push(ann, 2, solo)
    await kit.invite(solo, ann.id)
    // Shared with another owner; ann's invite into it goes, the space and its bundles stay.
    const shared = await kit.space(ann.id, `shared-${ann.name}`)
    await kit.join(shared, ann.id, bob.id, 'owner')
    await kit.invite(shared, ann.id)
    const annWrote = await push(ann, 2, shared)
    const bobWrote = await push(bob, 1, shared)

    const preview = await store.deleteUser({ user: ann.name, apply: false })
    expect(preview).toEqual({
      user: { id: ann.id, name: ann.name },
      bundles: 3,
      clients: 1,
      tokens: 1,
      identities: 0,
      spaces: [{ id: solo, name: `solo-${ann.name}`, role: 'owner', bundles: 2 }],
      memberships: [{ id: shared, name: `shared-${ann.name}`, role: 'owner', bundles: 2 }],
      // The one bob joined with, and the one made after.
      invites: 2,
      keptBundles: 2,
    })
    // A preview deletes nothing.
    expect(await names()).toContain(ann.name)
    expect(await store.bundleIds(ann.id)).toHaveLength(3)

    expect(await store.deleteUser({ user: ann.name, apply: true })).toEqual(preview)
    expect(await names()).not.toContain(ann.name)
    expect(await names()).toContain(bob.name)
    expect(await store.findUserByTokenHash(hashToken(ann.token))).toBeNull()
    expect(await store.bundleIds(ann.id)).toEqual([])
    expect(await store.bundleIds(solo)).toEqual([])
    expect(await spaceNames()).not.toContain(`solo-${ann.name}`)
    expect(await spaceNames()).toContain(`shared-${ann.name}`)
    // The shared space keeps its whole history, ann's part included; bob is its only member.
    const seen = await drainFeed(store, bob.id)
    expect(seen.ids).toEqual(expect.arrayContaining([...annWrote, ...bobWrote].map((b) => b.id)))
    expect(await store.listMembers(shared, bob.id)).toEqual([
      { user: bob.id, name: bob.name, role: 'owner' },
    ])
    expect(await store.listInvites(shared, bob.id)).toEqual([])
    // Nothing names ann any more: no device, no membership, no feed.
    for (const table of ['clients', 'members', 'feed', 'feeds'] as const) {
      const rows = await kit.db
        .selectFrom(table)
        .selectAll()
        .where('user_id', '=', ann.id)
        .execute()
      expect(rows).toEqual([])
    }
    expect(await store.bundleIds(bob.id)).toHaveLength(1)
  })

  it('refuses, deleting nothing, while the user alone owns a space others use', async () => {
    const ann = await person(`ann-${newId().slice(-6)}`)
    const cat = await person(`cat-${newId().slice(-6)}`)
    await push(ann, 1)
    const club = await kit.space(ann.id, `club-${ann.name}`)
    await kit.join(club, ann.id, cat.id, 'reader')
    const refused = store.deleteUser({ user: ann.name, apply: true })
    await expect(refused).rejects.toMatchObject({
      code: 'last_owner',
      message: expect.stringContaining(`club-${ann.name}`),
    })
    await expect(store.deleteUser({ user: ann.name, apply: false })).rejects.toMatchObject({
      code: 'last_owner',
    })
    expect(await names()).toContain(ann.name)
    expect(await store.bundleIds(ann.id)).toHaveLength(1)
    // Once the other member is gone, the space is ann's alone and goes with ann.
    await store.removeMember({ space: club, caller: ann.id, user: cat.id, now: Date.now() })
    const done = await store.deleteUser({ user: ann.id, apply: true })
    expect(done.spaces.map((s) => s.id)).toEqual([club])
    expect(await spaceNames()).not.toContain(`club-${ann.name}`)
  })

  it('leaves a space owned by another user as a writer, its bundles staying there', async () => {
    const ann = await person(`ann-${newId().slice(-6)}`)
    const dan = await person(`dan-${newId().slice(-6)}`)
    const dans = await kit.space(dan.id, `dans-${dan.name}`)
    await kit.join(dans, dan.id, ann.id, 'writer')
    const wrote = await push(ann, 2, dans)
    const done = await store.deleteUser({ user: ann.name, apply: true })
    expect(done.memberships).toEqual([
      { id: dans, name: `dans-${dan.name}`, role: 'writer', bundles: 2 },
    ])
    expect(done.spaces).toEqual([])
    expect(await store.bundleIds(dans)).toEqual(expect.arrayContaining(wrote.map((b) => b.id)))
    expect((await store.listMembers(dans, dan.id)).map((m) => m.name)).toEqual([dan.name])
  })

  it('removes the identity of a user an identity provider signed in', async () => {
    const subject = newId()
    const issuer = 'https://id.example.com'
    const user = await store.userOfIdentity({
      issuer,
      subject,
      id: newId(),
      name: `jwt-${subject.slice(-6)}`,
      now: Date.now(),
    })
    const done = await store.deleteUser({ user: user.name, apply: true })
    expect(done).toMatchObject({ identities: 1, tokens: 0 })
    expect(await names()).not.toContain(user.name)
    // The provider's next sign-in makes a new, empty user.
    const again = await store.userOfIdentity({
      issuer,
      subject,
      id: newId(),
      name: `jwt2-${subject.slice(-6)}`,
      now: Date.now(),
    })
    expect(again.id).not.toBe(user.id)
  })

  it('answers not_found for an unknown user', async () => {
    await expect(store.deleteUser({ user: 'nobody-at-all', apply: true })).rejects.toMatchObject({
      code: 'not_found',
    })
  })
})
