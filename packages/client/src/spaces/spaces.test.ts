import { isTidingsError, type Space, TidingsError } from '@tidings/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { deleteBundles } from '../store/space-rows.js'
import { internals, type LibraryClient } from '../test/fixtures.js'
import {
  availableBackends,
  BACKENDS,
  deviceOf,
  type SpacesBackend,
} from '../test/spaces-backends.js'

/** The error a promise rejects with (fails the test when it resolves). */
const refusal = async (promise: Promise<unknown>): Promise<TidingsError> => {
  try {
    await promise
  } catch (error) {
    if (error instanceof TidingsError) return error
    throw error
  }
  throw new Error('expected a refusal')
}

/** The space column of every bundle this device holds, by bundle id. */
const bundleSpaces = (client: LibraryClient) =>
  internals(client).store.sql.all<{ id: string; space: string | null }>(
    'SELECT id, space FROM bundles',
  )

const backends = await availableBackends()

describe.each(backends)('shared spaces, client API ($name)', ({ start }) => {
  let backend: SpacesBackend
  const open: LibraryClient[] = []
  const device = async (token: string) => {
    const client = await deviceOf(backend, token)
    open.push(client)
    return client
  }
  /** Two users, Ada (owner of a library) and Bob (invited as `role`), one device each. */
  const shared = async (role: 'writer' | 'reader' = 'writer') => {
    backend = await start()
    const adaUser = await backend.addUser('Ada')
    const bobUser = await backend.addUser('Bob')
    const ada = await device(adaUser.token)
    const bob = await device(bobUser.token)
    const library = await ada.createSpace('Family library')
    const code = await ada.invite(library.id, role)
    const joined = await bob.acceptInvite(code)
    return { ada, bob, library, joined, adaUser, bobUser }
  }

  afterEach(async () => {
    for (const client of open.splice(0)) await client.close()
    await backend?.close()
  })

  it('creates a space, lists it beside the private space, and keeps the list observable', async () => {
    backend = await start()
    const user = await backend.addUser('Ada')
    const ada = await device(user.token)
    const seen: Space[][] = []
    ada.observeSpaces((spaces) => seen.push(spaces))
    const library = await ada.createSpace('Reading list')
    expect(library).toMatchObject({ name: 'Reading list', role: 'owner' })
    expect(await ada.spaces()).toEqual([
      { id: user.id, name: expect.any(String), role: 'owner', private: true },
      { id: library.id, name: 'Reading list', role: 'owner' },
    ])
    expect(ada.cachedSpaces()).toEqual(await ada.spaces())
    await Promise.resolve()
    expect(seen.at(-1)).toEqual(ada.cachedSpaces())
  })

  it("shares a space: a writer's document reaches the owner, tagged with its space; private data stays private", async () => {
    const { ada, bob, library, joined } = await shared()
    expect(joined).toEqual({ id: library.id, name: 'Family library', role: 'writer' })
    const secret = await ada.create('document', { author: 'Ada', title: 'diary' })
    expect(secret.space).toBeNull()
    const doc = await bob.create(
      'document',
      { author: 'Bob', title: 'Dune' },
      { space: library.id },
    )
    expect(doc.space).toBe(library.id)
    await bob.sync()
    await ada.sync()
    await bob.sync()
    expect(await ada.get('document', doc.id)).toEqual(doc)
    expect(await ada.fetch('document', { space: library.id })).toEqual([doc])
    expect(await ada.fetch('document', { space: null })).toEqual([secret])
    expect(await ada.fetch('document')).toHaveLength(2)
    expect(await bob.get('document', secret.id)).toBeNull()
    // An update goes into the entity's own space, on both devices.
    await ada.update('document', doc.id, { title: 'Dune Messiah' })
    await ada.sync()
    await bob.sync()
    expect(await bob.get('document', doc.id)).toMatchObject({
      title: 'Dune Messiah',
      space: library.id,
    })
    expect(bundleSpaces(bob).every((b) => b.space === library.id)).toBe(true)
    const members = await ada.members(library.id)
    expect(members.map((m) => [m.name, m.role]).sort()).toEqual([
      ['Ada', 'owner'],
      ['Bob', 'writer'],
    ])
  })

  it('the private space named by its id is the private space (null)', async () => {
    backend = await start()
    const user = await backend.addUser('Ada')
    const ada = await device(user.token)
    const mine = (await ada.spaces()).find((s) => s.private)!
    expect(mine.id).toBe(user.id)
    const doc = await ada.create('document', { author: 'Ada', title: 'x' }, { space: mine.id })
    expect(doc.space).toBeNull()
    expect(await ada.fetch('document', { space: mine.id })).toEqual([doc])
    expect(await ada.fetch('document', { space: null })).toEqual([doc])
    await ada.sync()
    const other = await device(user.token)
    await other.sync()
    expect(await other.get('document', doc.id)).toEqual(doc)
  })

  it('observes one space only when asked to', async () => {
    const { ada, library } = await shared()
    const calls: unknown[][] = []
    const stop = ada.observe('document', { space: library.id }, (rows) => calls.push(rows))
    await ada.create('document', { author: 'Ada', title: 'private' })
    const doc = await ada.create(
      'document',
      { author: 'Ada', title: 'shared' },
      { space: library.id },
    )
    // Live queries run after the commit, batched: wait until they have.
    await internals(ada).settled()
    expect(calls.at(-1)).toEqual([doc])
    stop()
  })

  it('refuses locally: a transaction into two spaces, a write as a reader, an unknown space', async () => {
    const { ada, bob, library } = await shared('reader')
    const before = internals(ada).store.pending()
    const twoSpaces = await refusal(
      ada.transaction(async (tx) => {
        await tx.create('document', { author: 'Ada', title: 'here' })
        await tx.create('document', { author: 'Ada', title: 'there' }, { space: library.id })
      }),
    )
    expect(twoSpaces.code).toBe('bad_request')
    expect(internals(ada).store.pending()).toBe(before)
    expect(await ada.fetch('document')).toEqual([])
    const asReader = await refusal(
      bob.create('document', { author: 'Bob', title: 'x' }, { space: library.id }),
    )
    expect(asReader.code).toBe('forbidden')
    const unknown = await refusal(
      ada.create('document', { author: 'Ada', title: 'x' }, { space: crypto.randomUUID() }),
    )
    expect(unknown.code).toBe('not_found')
  })

  it("answers the server's refusals with their codes: not_found, gone, forbidden, last_owner", async () => {
    const { ada, bob, library } = await shared()
    expect((await refusal(bob.acceptInvite('A'.repeat(22)))).code).toBe('not_found')
    const once = await ada.invite(library.id, 'reader', { maxUses: 1 })
    const carol = await device((await backend.addUser('Carol')).token)
    await carol.acceptInvite(once)
    const dave = await device((await backend.addUser('Dave')).token)
    expect((await refusal(dave.acceptInvite(once))).code).toBe('gone')
    expect((await refusal(bob.invite(library.id, 'writer'))).code).toBe('forbidden')
    expect((await refusal(ada.leaveSpace(library.id))).code).toBe('last_owner')
    const mine = (await ada.spaces()).find((s) => s.private)!
    expect(['forbidden', 'bad_request']).toContain(
      (await refusal(ada.invite(mine.id, 'reader'))).code,
    )
  })

  it('sends invites with their options as the wire names them', async () => {
    backend = await start()
    const user = await backend.addUser('Ada')
    const requests: unknown[] = []
    const base = backend.fetch
    backend.fetch = (async (input, init) => {
      if (String(input).endsWith('/invites') && init?.method === 'POST')
        requests.push(JSON.parse(String(init.body)))
      return base(input, init)
    }) as typeof fetch
    const ada = await device(user.token)
    const library = await ada.createSpace('Lib')
    const code = await ada.invite(library.id, 'writer', { expiresInSeconds: 60, maxUses: 3 })
    expect(code).toMatch(/^[A-Za-z0-9_-]{22,}$/)
    expect(requests).toEqual([{ role: 'writer', expiresInSeconds: 60, maxUses: 3 }])
    expect(await ada.invites(library.id)).toMatchObject([{ role: 'writer', maxUses: 3, uses: 0 }])
  })

  it('a removed member drops the space on its next sync; its unsent writes there are reported as forbidden, its other data untouched', async () => {
    const { ada, bob, library, bobUser } = await shared()
    const kept = await bob.create('document', { author: 'Bob', title: 'mine' })
    const delivered = await bob.create(
      'document',
      { author: 'Bob', title: 'delivered' },
      { space: library.id },
    )
    await bob.sync()
    const unsent = await bob.create(
      'document',
      { author: 'Bob', title: 'unsent' },
      { space: library.id },
    )
    await ada.removeMember(library.id, bobUser.id)
    const result = await bob.sync()
    expect(await bob.fetch('document')).toEqual([kept])
    expect(await bob.get('document', delivered.id)).toBeNull()
    expect(bob.cachedSpaces().map((s) => s.id)).not.toContain(library.id)
    const rejected = await bob.rejected()
    expect(rejected).toMatchObject([{ code: 'forbidden' }])
    expect(rejected[0]!.events.map((e) => e.entity)).toEqual([unsent.id, unsent.id])
    // The push went first and was refused by space (role null): that is what set it aside.
    expect(result.rejected).toBe(1)
    expect(bob.status).toMatchObject({ pending: 0, rejected: 1 })
    const left = internals(bob).store.sql.all('SELECT * FROM bundles WHERE space IS NOT NULL')
    expect(left).toEqual([])
    await ada.sync()
    expect(await ada.get('document', delivered.id)).toMatchObject({ title: 'delivered' })
    expect(await ada.get('document', unsent.id)).toBeNull()
  })

  it('a removal learnt from the sync answer drops the space, and observers see its rows go', async () => {
    const { ada, bob, library, bobUser } = await shared()
    const doc = await ada.create('document', { author: 'Ada', title: 'x' }, { space: library.id })
    await ada.sync()
    await bob.sync()
    const seen: unknown[][] = []
    bob.observe('document', {}, (rows) => seen.push(rows))
    await internals(bob).settled()
    expect(seen.at(-1)).toEqual([doc])
    await ada.removeMember(library.id, bobUser.id)
    expect(await bob.sync()).toEqual({ pushed: 0, pulled: 0 })
    await internals(bob).settled()
    expect(seen.at(-1)).toEqual([])
    expect(await bob.rejected()).toEqual([])
    expect(bob.cachedSpaces().map((s) => s.id)).not.toContain(library.id)
  })

  it('a write pushed after a rejoin, in the sync that learns of the removal, is kept and not reported refused', async () => {
    // Found by spaces-model.test.ts: the removal drops the space's rows, and the rejoin's replay
    // is the history up to the rejoin, which this later write is not part of.
    const { ada, bob, library, bobUser } = await shared()
    await bob.sync()
    await ada.removeMember(library.id, bobUser.id)
    await bob.acceptInvite(await ada.invite(library.id, 'writer'))
    const doc = await bob.create('document', { author: 'Bob', title: 'w' }, { space: library.id })
    await bob.sync()
    expect(await bob.get('document', doc.id)).toEqual(doc)
    expect(await bob.rejected()).toEqual([])
    await ada.sync()
    expect(await ada.get('document', doc.id)).toEqual(doc)
  })

  it('a write made after a rejoin is kept when the first sync of the process learns the removal (pull-only resume round)', async () => {
    // Review of simbugs/bhistory: the first round after opening pushes nothing (it asks where the
    // server has this client), so the removal and the rejoin reach the device before the write
    // is pushed; applying the removal sets the unsent write aside as `forbidden`.
    const { ada, bob, library, bobUser } = await shared()
    await ada.removeMember(library.id, bobUser.id)
    await bob.acceptInvite(await ada.invite(library.id, 'writer'))
    const doc = await bob.create('document', { author: 'Bob', title: 'w' }, { space: library.id })
    await bob.sync()
    expect(await bob.rejected()).toEqual([])
    expect(await bob.get('document', doc.id)).toEqual(doc)
    await ada.sync()
    expect(await ada.get('document', doc.id)).toEqual(doc)
  })

  it('a push refused as forbidden (role lowered to reader) goes to rejected() and is undone locally', async () => {
    const { ada, bob, library, bobUser } = await shared()
    const doc = await bob.create('document', { author: 'Bob', title: 'v1' }, { space: library.id })
    await bob.sync()
    await bob.update('document', doc.id, { title: 'v2' })
    await ada.setRole(library.id, bobUser.id, 'reader')
    // Bob's device has not heard yet: it pushes, and the server refuses the bundle by space.
    const result = await bob.sync()
    expect(result.rejected).toBe(1)
    expect(await bob.rejected()).toMatchObject([
      { code: 'forbidden', details: { spaces: [{ id: library.id, role: 'reader' }] } },
    ])
    expect(await bob.get('document', doc.id)).toMatchObject({ title: 'v1' })
    expect(bob.cachedSpaces().find((s) => s.id === library.id)?.role).toBe('reader')
    const again = await refusal(bob.update('document', doc.id, { title: 'v3' }))
    expect(again.code).toBe('forbidden')
    const retry = await refusal(bob.retryRejected((await bob.rejected())[0]!.id))
    expect(retry.code).toBe('forbidden')
  })

  it('leaving a space syncs first, then drops it locally', async () => {
    const { ada, bob, library } = await shared()
    const doc = await bob.create(
      'document',
      { author: 'Bob', title: 'before leaving' },
      { space: library.id },
    )
    await bob.leaveSpace(library.id)
    expect(await bob.get('document', doc.id)).toBeNull()
    expect(await bob.rejected()).toEqual([])
    expect((await bob.spaces()).map((s) => s.id)).not.toContain(library.id)
    await ada.sync()
    expect(await ada.get('document', doc.id)).toMatchObject({ title: 'before leaving' })
    expect(isTidingsError(await refusal(bob.leaveSpace((await bob.spaces())[0]!.id)))).toBe(true)
  })

  it("verify compares bundle ids space by space and pushes again only what is this device's", async () => {
    const { ada, bob, library } = await shared()
    await ada.create('document', { author: 'Ada', title: 'a' }, { space: library.id })
    await ada.create('document', { author: 'Ada', title: 'private' })
    await ada.sync()
    await bob.create('document', { author: 'Bob', title: 'b' }, { space: library.id })
    await bob.sync()
    expect(await bob.verify()).toEqual({
      missingLocally: 0,
      missingOnServer: 0,
      pulled: 0,
      pushed: 0,
    })
    // A bundle of the space lost locally comes back by id.
    const store = internals(bob).store
    const theirs = store.sql.one<{ id: string }>('SELECT id FROM bundles WHERE client <> ?', [
      store.clientId,
    ])!.id
    store.sql.transaction(() => deleteBundles(store.sql, [theirs]))
    expect(await bob.verify()).toMatchObject({ missingLocally: 1, missingOnServer: 0, pulled: 1 })
  })

  it("a new member receives the space's whole history, paged, with the space change first", async () => {
    backend = await start({ pageSize: 2 })
    const adaUser = await backend.addUser('Ada')
    const ada = await device(adaUser.token)
    const library = await ada.createSpace('Lib')
    for (let i = 0; i < 5; i++)
      await ada.create('document', { author: 'Ada', title: `t${i}` }, { space: library.id })
    await ada.sync()
    const bob = await device((await backend.addUser('Bob')).token)
    await bob.acceptInvite(await ada.invite(library.id, 'reader'))
    internals(bob).store.sql.run('DELETE FROM spaces')
    await bob.sync()
    expect(await bob.fetch('document', { space: library.id })).toHaveLength(5)
    expect(bob.cachedSpaces()).toEqual([{ id: library.id, name: 'Lib', role: 'reader' }])
  })
})

describe('a server that tags private bundles with the private space id', () => {
  it('stores them as private (space null), learning the id from GET /v1/spaces', async () => {
    const backend = await BACKENDS[0]!.start({ tagPrivate: true })
    const user = await backend.addUser('Ada')
    const one = await deviceOf(backend, user.token)
    const two = await deviceOf(backend, user.token)
    const doc = await one.create('document', { author: 'Ada', title: 'mine' })
    await one.sync()
    await two.sync()
    expect(await two.get('document', doc.id)).toEqual(doc)
    expect(internals(two).store.privateSpace).toBe(user.id)
    await two.update('document', doc.id, { title: 'edited' })
    await two.sync()
    await one.sync()
    expect(await one.get('document', doc.id)).toMatchObject({ title: 'edited', space: null })
    await one.close()
    await two.close()
  })
})

describe('a fake server that pages small (its page leaves out what the request carried)', () => {
  it('a device removed and re-added meanwhile gets its own write back in a later page (seed -476210574 of spaces-model)', async () => {
    // The removal drops the space's rows on Bob's device; the write it pushed in the same
    // sync lands after the rejoin's replay in the feed, pages later. Only the bundles a request
    // carries stay out of its page, never every bundle of the device (as the real server does).
    const backend = await BACKENDS[0]!.start({ pageSize: 3 })
    const adaUser = await backend.addUser('Ada')
    const bobUser = await backend.addUser('Bob')
    const ada = await deviceOf(backend, adaUser.token)
    const bob = await deviceOf(backend, bobUser.token)
    const other = await deviceOf(backend, bobUser.token)
    const library = await ada.createSpace('lib')
    await bob.acceptInvite(await ada.invite(library.id, 'writer'))
    for (const device of [ada, bob, other]) await device.spaces()
    const first = await ada.create('document', { author: 'Ada', title: 'w' }, { space: library.id })
    await other.sync()
    await ada.sync()
    await ada.removeMember(library.id, bobUser.id)
    await ada.create('document', { author: 'Ada', title: 'p1' })
    await ada.create('document', { author: 'Ada', title: 'p2' })
    await bob.acceptInvite(await ada.invite(library.id, 'writer'))
    const mine = await other.create(
      'document',
      { author: 'Bob', title: 'w' },
      { space: library.id },
    )
    for (let round = 0; round < 3; round++)
      for (const device of [ada, bob, other]) await device.sync()
    expect(await other.get('document', mine.id)).toEqual(mine)
    expect(await other.rejected()).toEqual([])
    for (const device of [ada, bob])
      expect((await device.get('document', mine.id))?.space).toBe(library.id)
    expect(await other.get('document', first.id)).toMatchObject({ space: library.id })
    for (const device of [ada, bob, other]) await device.close()
  })
})
