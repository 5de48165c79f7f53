import { describe, expect, it } from 'vitest'
import { appSuite } from '../../testing/app-suite.js'
import { TEST_BACKENDS } from '../../testing/backends.js'
import { SpacesTestKit } from '../../testing/spaces.js'

const refusal = (code: string) => expect.objectContaining({ code })
const HOUR = 3_600_000

describe.each(TEST_BACKENDS)('invites on $name', (backend) => {
  const suite = appSuite(backend, { rateLimit: false })
  const kit = new SpacesTestKit(() => suite.store)
  const now = Date.now()

  it('stores the code’s hash only, and lists invites to owners without codes', async () => {
    const ann = await kit.user()
    const space = await kit.space(ann)
    const { code, id } = await kit.invite(space, ann, { role: 'reader', maxUses: 3, now })
    const rows = await kit.db.selectFrom('invites').selectAll().where('id', '=', id).execute()
    expect(JSON.stringify(rows)).not.toContain(code)
    expect(await suite.store.listInvites(space, ann)).toEqual([
      { id, role: 'reader', maxUses: 3, uses: 0, createdAt: now },
    ])
  })

  it('is created, listed and revoked by owners only', async () => {
    const [ann, bob, cat] = [await kit.user(), await kit.user(), await kit.user()]
    const space = await kit.space(ann)
    await kit.join(space, ann, bob, 'writer')
    await expect(kit.invite(space, bob)).rejects.toEqual(refusal('forbidden'))
    await expect(kit.invite(space, cat)).rejects.toEqual(refusal('forbidden'))
    await expect(suite.store.listInvites(space, bob)).rejects.toEqual(refusal('forbidden'))
    const { id } = await kit.invite(space, ann)
    const revoke = (caller: string, invite = id) =>
      suite.store.revokeInvite({ space, caller, invite, now })
    await expect(revoke(bob)).rejects.toEqual(refusal('forbidden'))
    await revoke(ann)
    await revoke(ann) // twice is fine
    await expect(revoke(ann, bob)).rejects.toEqual(refusal('not_found'))
  })

  it('lets a user join with the invite’s role, and its feed read the whole history', async () => {
    const [ann, bob] = [await kit.user(), await kit.user()]
    const space = await kit.space(ann, 'Library')
    const head = await kit.fill(space, 4)
    const { code } = await kit.invite(space, ann, { role: 'reader' })
    expect(await kit.accept(code, bob)).toEqual({ id: space, name: 'Library', role: 'reader' })
    expect(await suite.store.roleOf(space, bob)).toBe('reader')
    expect(await kit.feed(bob)).toMatchObject([
      { space, kind: 'join', from: 1, to: head, role: 'reader' },
    ])
  })

  it('answers not_found for an unknown code and gone for expired, revoked or used-up ones', async () => {
    const [ann, bob, cat] = [await kit.user(), await kit.user(), await kit.user()]
    const space = await kit.space(ann)
    await expect(kit.accept('x'.repeat(43), bob)).rejects.toEqual(refusal('not_found'))
    const expiring = await kit.invite(space, ann, { expiresAt: now + HOUR })
    await expect(kit.accept(expiring.code, bob, now + HOUR)).rejects.toEqual(refusal('gone'))
    const once = await kit.invite(space, ann, { maxUses: 1 })
    await kit.accept(once.code, bob, now)
    await expect(kit.accept(once.code, cat, now)).rejects.toEqual(refusal('gone'))
    const revoked = await kit.invite(space, ann)
    await suite.store.revokeInvite({ space, caller: ann, invite: revoked.id, now })
    await expect(kit.accept(revoked.code, cat, now)).rejects.toMatchObject({
      code: 'gone',
      message: expect.stringContaining('revoked'),
    })
    expect(await suite.store.roleOf(space, cat)).toBeNull()
    expect(await kit.feed(cat)).toEqual([])
  })

  it('never lowers a member’s role and uses nothing then; raises a lower one', async () => {
    const [ann, bob] = [await kit.user(), await kit.user()]
    const space = await kit.space(ann)
    const reader = await kit.invite(space, ann, { role: 'reader', maxUses: 1 })
    expect(await kit.accept(reader.code, ann)).toMatchObject({ role: 'owner' })
    await kit.accept(reader.code, bob)
    // Accepting again (an answer lost on the way) still succeeds, and takes no use.
    expect(await kit.accept(reader.code, bob)).toMatchObject({ role: 'reader' })
    const writer = await kit.invite(space, ann, { role: 'writer', maxUses: 1 })
    expect(await kit.accept(writer.code, bob)).toMatchObject({ role: 'writer' })
    expect((await kit.feed(bob)).at(-1)).toMatchObject({ kind: 'role', role: 'writer' })
    const uses = (await suite.store.listInvites(space, ann)).map((i) => i.uses)
    expect(uses).toEqual([1, 1])
  })

  it('lets a removed member rejoin, reading the history again from the beginning', async () => {
    const [ann, bob] = [await kit.user(), await kit.user()]
    const space = await kit.space(ann)
    await kit.join(space, ann, bob, 'writer')
    await suite.store.removeMember({ space, caller: ann, user: bob, now })
    const head = await kit.fill(space, 2)
    await kit.join(space, ann, bob, 'reader')
    expect((await kit.feed(bob)).map((e) => [e.kind, e.to])).toEqual([
      ['join', 0],
      ['leave', 0],
      ['join', head],
    ])
  })

  it('gives the last use of an invite to exactly one of many racing accepts', async () => {
    const ann = await kit.user()
    const space = await kit.space(ann)
    const users = await Promise.all(Array.from({ length: 6 }, () => kit.user()))
    const { code } = await kit.invite(space, ann, { maxUses: 2 })
    const results = await Promise.allSettled(users.map((u) => kit.accept(code, u)))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2)
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toEqual(refusal('gone'))
    expect((await suite.store.listMembers(space, ann)).length).toBe(3)
  })
})
