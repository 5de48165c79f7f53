import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hashToken, type NewUser } from '@tidings/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openClient } from '../api/client.js'
import { accountDatabasePath, openNodeDatabase } from '../node.js'
import { internals, type LibraryClient, librarySchema } from '../test/fixtures.js'
import { type RunningServer, startBackend } from '../test/server.js'
import { AccountMismatchError, UnsentChangesError } from './errors.js'

/**
 * Accounts on one device, against a real server: every user has a database of its own (and so a
 * client id of its own); signing out keeps it for the user's return, or wipes it; a database
 * opened for another user refuses clearly instead of being refused by the server forever.
 */
describe('accounts on a device', () => {
  let server: RunningServer
  const device = mkdtempSync(join(tmpdir(), 'tidings-accounts-'))
  beforeAll(async () => {
    server = (await startBackend('sqlite')).server
  })
  afterAll(async () => {
    await server?.close()
    rmSync(device, { recursive: true, force: true })
  })

  let users = 0
  const newUser = () => server.addUser(`user-${++users}-${Date.now()}`)
  /** The app signing `user` in on this device: the user's own database, named by its account. */
  const signIn = (user: NewUser, options: { token?: string; path?: string } = {}) =>
    openClient({
      schema: librarySchema,
      database: openNodeDatabase(options.path ?? accountDatabasePath(device, user.name)),
      server: { url: server.url, token: options.token ?? user.token, account: user.name },
    }) as Promise<LibraryClient>
  /** Another device of the user, fresh: what the server holds for it. */
  const onServer = async (user: NewUser) => {
    const fresh = (await openClient({
      schema: librarySchema,
      database: openNodeDatabase(':memory:'),
      server: { url: server.url, token: user.token },
    })) as LibraryClient
    await fresh.sync()
    const titles = (await fresh.fetch('document', {})).map((d) => d.title).sort()
    await fresh.close()
    return titles
  }
  const titles = async (client: LibraryClient) =>
    (await client.fetch('document', {})).map((d) => d.title).sort()

  it('keeps each user’s data apart: B signs in after A and syncs, never seeing A’s; A returns to find everything, unsent writes included', async () => {
    const [ann, bob] = [await newUser(), await newUser()]
    const a = await signIn(ann)
    await a.create('document', { author: 'Ann', title: 'synced' })
    await a.sync()
    await a.create('document', { author: 'Ann', title: 'not yet sent' })
    const annDevice = a.clientId
    await a.signOut()

    const b = await signIn(bob)
    expect(b.clientId).not.toBe(annDevice) // a new user, a new client id
    expect(await b.sync()).toEqual({ pushed: 0, pulled: 0 }) // no 403
    expect(await titles(b)).toEqual([])
    await b.create('document', { author: 'Bob', title: 'bob’s' })
    await b.sync()
    await b.signOut()

    const back = await signIn(ann)
    expect(back.clientId).toBe(annDevice)
    expect(await titles(back)).toEqual(['not yet sent', 'synced'])
    expect(back.status.pending).toBe(1)
    expect(await back.sync()).toMatchObject({ pushed: 1 })
    await back.signOut()
    // Sent as ann, only as ann.
    expect(await onServer(ann)).toEqual(['not yet sent', 'synced'])
    expect(await onServer(bob)).toEqual(['bob’s'])
  })

  it('wipes on request: the user returns to an empty database with a new client id, and the server gives the data back', async () => {
    const ann = await newUser()
    const a = await signIn(ann)
    await a.create('document', { author: 'Ann', title: 'kept on the server' })
    await a.sync()
    const before = a.clientId
    await a.signOut({ wipe: true })

    const back = await signIn(ann)
    expect(back.clientId).not.toBe(before)
    expect(await titles(back)).toEqual([])
    expect(back.status.pending).toBe(0)
    await back.sync()
    expect(await titles(back)).toEqual(['kept on the server'])
    await back.close()
  })

  it('refuses to wipe changes never sent, unless told to discard them', async () => {
    const ann = await newUser()
    const a = await signIn(ann)
    const doc = await a.create('document', { author: 'Ann', title: 'unsent' })
    const refused = await a.signOut({ wipe: true }).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(UnsentChangesError)
    expect(refused).toMatchObject({ code: 'unsent_changes', details: { pending: 1, rejected: 0 } })
    // Nothing happened: still open, the change still there and still sendable.
    expect(await a.get('document', doc.id)).toEqual(doc)
    await a.sync()
    await a.signOut({ wipe: true })

    const again = await signIn(ann)
    await again.create('document', { author: 'Ann', title: 'thrown away' })
    await again.signOut({ wipe: true, discardUnsent: true })
    const back = await signIn(ann)
    expect(await titles(back)).toEqual([])
    await back.close()
    expect(await onServer(ann)).toEqual(['unsent'])
  })

  it('refuses at open a database of another account, leaving it as it was', async () => {
    const [ann, bob] = [await newUser(), await newUser()]
    const path = accountDatabasePath(device, ann.name)
    const a = await signIn(ann)
    await a.create('document', { author: 'Ann', title: 'ann’s' })
    await a.signOut()
    const refused = await signIn(bob, { path }).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(AccountMismatchError)
    expect(refused).toMatchObject({
      code: 'account_mismatch',
      details: { database: ann.name, given: bob.name },
    })
    const back = await signIn(ann)
    expect(await titles(back)).toEqual(['ann’s'])
    expect(back.status.pending).toBe(1)
    await back.close()
  })

  describe('without `account` (the token alone names the user)', () => {
    const open = (path: string, token: string) =>
      openClient({
        schema: librarySchema,
        database: openNodeDatabase(path),
        server: { url: server.url, token, backoffMs: 5 },
      }) as Promise<LibraryClient>

    it('another user’s token on a database that synced: the sync says account_mismatch, nothing is sent, and its owner still syncs it', async () => {
      const [ann, bob] = [await newUser(), await newUser()]
      const path = join(device, `${ann.name}-tokens.db`)
      const a = await open(path, ann.token)
      await a.create('document', { author: 'Ann', title: 'synced' })
      await a.sync()
      await a.create('document', { author: 'Ann', title: 'unsent' })
      await a.signOut()

      const wrong = await open(path, bob.token)
      const refused = await wrong.sync().catch((error: unknown) => error)
      expect(refused).toBeInstanceOf(AccountMismatchError)
      expect(refused).toMatchObject({ code: 'account_mismatch' })
      expect(wrong.status).toMatchObject({ state: 'error', error: { code: 'account_mismatch' } })
      await wrong.close()
      expect(await onServer(bob)).toEqual([])

      const back = await open(path, ann.token)
      expect(await back.sync()).toMatchObject({ pushed: 1 })
      await back.close()
      expect(await onServer(ann)).toEqual(['synced', 'unsent'])
    })

    it('the same user’s new token just syncs, unsent writes included', async () => {
      const ann = await newUser()
      const path = join(device, `${ann.name}-rotated.db`)
      const a = await open(path, ann.token)
      await a.create('document', { author: 'Ann', title: 'before' })
      await a.sync()
      await a.create('document', { author: 'Ann', title: 'after' })
      // As a database from before accounts were guarded: its cursor alone says it synced.
      internals(a).store.sql.run('DELETE FROM sync_state WHERE key = ?', ['synced_once'])
      await a.close()
      const token = `rotated-${ann.id}`
      await server.store.ensureUser({
        id: ann.id,
        name: ann.name,
        tokenHash: hashToken(token),
        now: Date.now(),
      })
      const rotated = await open(path, token)
      expect(await rotated.sync()).toMatchObject({ pushed: 1 })
      await rotated.close()
    })

    it('refuses at open a database whose unsent changes never reached the server under another token', async () => {
      const [ann, bob] = [await newUser(), await newUser()]
      const path = join(device, `${ann.name}-offline.db`)
      const a = await open(path, ann.token)
      await a.create('document', { author: 'Ann', title: 'offline' })
      await a.close()
      const refused = await open(path, bob.token).catch((error: unknown) => error)
      expect(refused).toMatchObject({ code: 'account_mismatch' })
      const back = await open(path, ann.token)
      expect(await back.sync()).toMatchObject({ pushed: 1 })
      await back.close()
      expect(await onServer(ann)).toEqual(['offline'])
    })
  })
})
