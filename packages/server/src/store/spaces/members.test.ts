import { describe, expect, it } from 'vitest'
import { appSuite } from '../../testing/app-suite.js'
import { TEST_BACKENDS } from '../../testing/backends.js'
import { SpacesTestKit } from '../../testing/spaces.js'

const refusal = (code: string) => expect.objectContaining({ code })

describe.each(TEST_BACKENDS)('spaces and members on $name', (backend) => {
  const suite = appSuite(backend, { rateLimit: false })
  const kit = new SpacesTestKit(() => suite.store)
  const now = Date.now()

  it('lists the private space first, then shared spaces by name with the caller’s role', async () => {
    const ann = await kit.user()
    const zeta = await kit.space(ann, 'Zeta')
    const alpha = await kit.space(ann, 'Alpha')
    expect(await suite.store.listSpaces(ann)).toEqual([
      { id: ann, name: 'Private', role: 'owner', private: true },
      { id: alpha, name: 'Alpha', role: 'owner' },
      { id: zeta, name: 'Zeta', role: 'owner' },
    ])
    expect(await suite.store.roleOf(alpha, ann)).toBe('owner')
    expect(await suite.store.roleOf(ann, ann)).toBe('owner')
    const bob = await kit.user()
    expect(await suite.store.roleOf(alpha, bob)).toBeNull()
    expect(await suite.store.roleOf(ann, bob)).toBeNull()
  })

  it('gives the creator a join in its feed', async () => {
    const ann = await kit.user()
    const space = await kit.space(ann)
    expect(await kit.feed(ann)).toMatchObject([{ space, kind: 'join', role: 'owner', to: 0 }])
  })

  it('shows members to members only, owners first', async () => {
    const [ann, bob, cat, dan] = [
      await kit.user('m-ann'),
      await kit.user('m-bob'),
      await kit.user('m-cat'),
      await kit.user(),
    ]
    const space = await kit.space(ann)
    await kit.join(space, ann, cat, 'reader')
    await kit.join(space, ann, bob, 'writer')
    const members = await suite.store.listMembers(space, cat)
    expect(members).toEqual([
      { user: ann, name: 'm-ann', role: 'owner' },
      { user: bob, name: 'm-bob', role: 'writer' },
      { user: cat, name: 'm-cat', role: 'reader' },
    ])
    await expect(suite.store.listMembers(space, dan)).rejects.toEqual(refusal('not_found'))
    expect(await suite.store.listMembers(ann, ann)).toEqual([
      { user: ann, name: 'm-ann', role: 'owner' },
    ])
    await expect(suite.store.listMembers(ann, dan)).rejects.toEqual(refusal('not_found'))
  })

  it('lets owners only change roles, of existing members only, never demoting the last owner', async () => {
    const [ann, bob, cat] = [await kit.user(), await kit.user(), await kit.user()]
    const space = await kit.space(ann)
    await kit.join(space, ann, bob, 'writer')
    const change = (caller: string, user: string, role: 'owner' | 'writer' | 'reader') =>
      suite.store.setRole({ space, caller, user, role, now })
    await expect(change(bob, bob, 'owner')).rejects.toEqual(refusal('forbidden'))
    await expect(change(cat, bob, 'reader')).rejects.toEqual(refusal('forbidden'))
    await expect(change(ann, cat, 'writer')).rejects.toEqual(refusal('not_found'))
    await expect(change(ann, ann, 'writer')).rejects.toEqual(refusal('last_owner'))
    expect(await change(ann, bob, 'owner')).toMatchObject({ user: bob, role: 'owner' })
    expect(await change(bob, ann, 'reader')).toMatchObject({ user: ann, role: 'reader' })
    expect(await suite.store.roleOf(space, ann)).toBe('reader')
    expect((await kit.feed(ann)).at(-1)).toMatchObject({ space, kind: 'role', role: 'reader' })
    expect((await kit.feed(bob)).at(-1)).toMatchObject({ space, kind: 'role', role: 'owner' })
  })

  it('lets an owner remove anyone and any member leave, but never the last owner', async () => {
    const [ann, bob, cat] = [await kit.user(), await kit.user(), await kit.user()]
    const space = await kit.space(ann)
    await kit.join(space, ann, bob, 'writer')
    await kit.join(space, ann, cat, 'reader')
    const remove = (caller: string, user: string) =>
      suite.store.removeMember({ space, caller, user, now })
    await expect(remove(bob, cat)).rejects.toEqual(refusal('forbidden'))
    await expect(remove(ann, ann)).rejects.toEqual(refusal('last_owner'))
    const head = await kit.fill(space, 3)
    await remove(ann, cat)
    expect(await suite.store.roleOf(space, cat)).toBeNull()
    expect((await kit.feed(cat)).at(-1)).toMatchObject({
      space,
      kind: 'leave',
      role: null,
      to: head,
    })
    await remove(bob, bob)
    expect(await suite.store.listMembers(space, ann)).toEqual([
      expect.objectContaining({ user: ann, role: 'owner' }),
    ])
    await expect(remove(bob, bob)).rejects.toEqual(refusal('not_found'))
    await expect(remove(ann, bob)).rejects.toEqual(refusal('not_found'))
    expect((await suite.store.listSpaces(bob)).map((s) => s.id)).toEqual([bob])
  })

  it('refuses to share, change or leave the private space', async () => {
    const ann = await kit.user()
    const bob = await kit.user()
    await expect(
      suite.store.setRole({ space: ann, caller: ann, user: ann, role: 'reader', now }),
    ).rejects.toEqual(refusal('forbidden'))
    await expect(
      suite.store.removeMember({ space: ann, caller: ann, user: ann, now }),
    ).rejects.toEqual(refusal('forbidden'))
    await expect(kit.invite(ann, ann)).rejects.toEqual(refusal('forbidden'))
    // Someone else's private space is just a space they are not in.
    await expect(
      suite.store.removeMember({ space: ann, caller: bob, user: ann, now }),
    ).rejects.toEqual(refusal('forbidden'))
  })

  it('lists every shared space for operators, with members and owners', async () => {
    const [ann, bob] = [await kit.user('op-ann'), await kit.user('op-bob')]
    const space = await kit.space(ann, 'operators view')
    await kit.join(space, ann, bob, 'owner')
    const all = await suite.store.listAllSpaces()
    expect(all.find((s) => s.id === space)).toMatchObject({
      name: 'operators view',
      members: 2,
      owners: ['op-ann', 'op-bob'],
    })
  })
})
