import { isTidingsError, type Space, TidingsError } from '@tidings/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { openClient } from '../api/client.js'
import { openNodeDatabase } from '../node.js'
import { BrowserTabs } from '../test/browser-tabs.js'
import { FakeSpacesServer } from '../test/fake-spaces-server.js'
import { librarySchema } from '../test/fixtures.js'
import type { Saves } from './block-saver.js'

// The page ↔ worker RPC over a real MessageChannel, the client core on better-sqlite3 behind
// it: everything of the browser client except wa-sqlite (which the e2e tests run in Chromium).
let tabs = new BrowserTabs()
const open = async (saves?: Saves) => (await tabs.open(saves ? { saves } : {})).client
afterEach(async () => {
  await tabs.close()
  tabs = new BrowserTabs()
})

/** The next value `observe` delivers that satisfies `done`. */
const rowsUntil = <T>(
  subscribe: (cb: (rows: T[]) => void) => () => void,
  done: (rows: T[]) => boolean,
) =>
  new Promise<T[]>((resolve) => {
    const off = subscribe((rows) => {
      if (!done(rows)) return
      off()
      resolve(rows)
    })
  })

describe('browser client proxy', () => {
  it('forwards create, get, update, fetch and delete with their results', async () => {
    const client = await open()
    expect(client.clientId).toMatch(/^[0-9a-f-]{36}$/)
    expect(client.storage).toBe('memory')
    const doc = await client.create('document', { author: 'Ada', title: 'Notes' })
    expect(await client.get('document', doc.id)).toEqual(doc)
    const edited = await client.update('document', doc.id, { url: 'https://a.test' })
    expect(edited.url).toBe('https://a.test')
    expect(await client.fetch('document', { where: { author: 'Ada' } })).toEqual([edited])
    await client.delete('document', doc.id)
    expect(await client.get('document', doc.id)).toBeNull()
  })

  it('rehydrates worker errors as TidingsErrors with the same code', async () => {
    const client = await open()
    const missing = await client
      .update('document', '0190c1d2-0000-7000-8000-000000000000', {
        title: 'x',
      })
      .catch((error: unknown) => error)
    expect(isTidingsError(missing, 'not_found')).toBe(true)
    const invalid = await client
      .create('document', { author: 1 } as never)
      .catch((error: unknown) => error)
    expect(isTidingsError(invalid, 'bad_request')).toBe(true)
  })

  it('streams observe results and stops after unsubscribe', async () => {
    const client = await open()
    const seen: string[][] = []
    const first = rowsUntil<{ title: string }>(
      (cb) => client.observe('document', { orderBy: { title: 'asc' } }, cb),
      (rows) => rows.length === 2,
    )
    const off = client.observe('document', {}, (rows) => seen.push(rows.map((r) => r.title)))
    await client.create('document', { author: 'Ada', title: 'B' })
    await client.create('document', { author: 'Ada', title: 'A' })
    expect((await first).map((r) => r.title)).toEqual(['A', 'B'])
    off()
    const before = seen.length
    await client.create('document', { author: 'Ada', title: 'C' })
    await client.fetch('document') // a round trip: any stray rows message would have arrived
    expect(seen.length).toBe(before)
  })

  it('commits a transaction as a whole, and writes nothing when it throws', async () => {
    const client = await open()
    await client.transaction(async (tx) => {
      await tx.create('document', { author: 'Ada', title: 'one' })
      await tx.create('document', { author: 'Ada', title: 'two' })
    })
    expect(await client.fetch('document')).toHaveLength(2)
    const failed = await client
      .transaction(async (tx) => {
        await tx.create('document', { author: 'Ada', title: 'three' })
        throw new Error('changed my mind')
      })
      .catch((error: unknown) => error)
    expect((failed as Error).message).toBe('changed my mind')
    expect(await client.fetch('document')).toHaveLength(2)
  })

  it('reports the status and closes', async () => {
    const client = await open()
    expect(client.status).toMatchObject({ state: 'idle', pending: 0 })
    const pending = new Promise<number>((resolve) =>
      client.onStatus((status) => resolve(status.pending)),
    )
    await client.create('document', { author: 'Ada', title: 'unsynced' })
    expect(await pending).toBe(1)
    await client.close()
    const closed = await client.fetch('document').catch((error: unknown) => error)
    expect(isTidingsError(closed, 'unavailable')).toBe(true)
  })

  it('tells the page that its tab owns the connection', async () => {
    const client = await open()
    expect(client.status.connection).toBe('this-tab')
  })

  it('answers a write once its save completes, and a failed save as not_saved in the call and the status', async () => {
    const saves = new ManualSaves()
    const client = await open(saves)
    const created = client.create('document', { author: 'Ada', title: 'saved' })
    const save = await saves.next()
    let answered = false
    void created.then(() => (answered = true))
    await client.fetch('document') // a round trip: a reply already sent would have arrived
    expect(answered).toBe(false)
    save.resolve()
    await created

    const failing = client.create('document', { author: 'Ada', title: 'not saved' })
    const quota = new TidingsError('not_saved', 'saving changes to IndexedDB failed')
    const unsaved = new Promise((resolve) =>
      client.onStatus((status) => status.unsaved && resolve(status.unsaved)),
    )
    saves.fail(quota)
    ;(await saves.next()).reject(quota)
    expect(isTidingsError(await failing.catch((error: unknown) => error), 'not_saved')).toBe(true)
    expect(await unsaved).toEqual({ code: 'not_saved', message: quota.message })
    expect(client.status.unsaved).toEqual({ code: 'not_saved', message: quota.message })
    // Reads never wait for saves.
    expect(await client.fetch('document')).toHaveLength(2)
  })
})

describe('browser client proxy, when things go wrong', () => {
  it('fails calls at once when the worker died, and says so in the status', async () => {
    const tab = await tabs.open({ saves: new ManualSaves() })
    const statuses: Array<{ state: string; error?: { code: string } }> = []
    tab.client.onStatus((status) => statuses.push(status))
    const inFlight = tab.client.create('document', { author: 'Ada', title: 'lost' })
    await tab.kill()
    expect(isTidingsError(await inFlight.catch((error: unknown) => error), 'unavailable')).toBe(
      true,
    )
    const later = await tab.client.fetch('document').catch((error: unknown) => error)
    expect(isTidingsError(later, 'unavailable')).toBe(true)
    expect(tab.client.status).toMatchObject({ state: 'error', error: { code: 'unavailable' } })
    expect(statuses.at(-1)).toMatchObject({ state: 'error', error: { code: 'unavailable' } })
  })

  it('keeps working after an uncaught worker error, which the status shows', async () => {
    const tab = await tabs.open()
    const updated = rowsUntil(
      (cb) => tab.client.observe('document', {}, cb),
      (rows) => rows.length === 1,
    )
    tab.page.throwUncaught('TypeError: x is undefined')
    expect(tab.client.status).toMatchObject({ state: 'error', error: { code: 'internal' } })
    await tab.client.create('document', { author: 'Ada', title: 'still here' })
    // Live queries still update.
    expect(await updated).toHaveLength(1)
  })

  it('rejects an argument that cannot be copied to the worker with bad_request, and forgets it', async () => {
    const client = await open()
    const fields = { author: 'Ada', title: 'x', onSave: () => {} }
    const refused = await client.create('document', fields as never).catch((e: unknown) => e)
    expect(isTidingsError(refused, 'bad_request')).toBe(true)
    expect((refused as Error).message).toContain('create()')
    const rows: unknown[] = []
    const observed = (() => {
      try {
        client.observe('document', { where: { title: Symbol('x') } } as never, (r) => rows.push(r))
      } catch (error) {
        return error
      }
      return null
    })()
    expect(isTidingsError(observed, 'bad_request')).toBe(true)
    // Both left nothing behind: the client goes on, and closes without waiting for them.
    expect(await client.fetch('document')).toEqual([])
    await client.close()
    expect(rows).toEqual([])
  })
})

/** Saves the test completes by hand, one `durable()` at a time. */
class ManualSaves implements Saves {
  failure: TidingsError | null = null
  readonly #listeners = new Set<(failure: TidingsError | null) => void>()
  readonly #calls: Array<{ resolve: () => void; reject: (error: TidingsError) => void }> = []
  #waiting: (() => void) | null = null

  durable(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#calls.push({ resolve, reject })
      this.#waiting?.()
    })
  }
  onFailure(listener: (failure: TidingsError | null) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }
  fail(failure: TidingsError): void {
    this.failure = failure
    for (const listener of this.#listeners) listener(failure)
  }
  /** The next `durable()` call, once the worker makes it. */
  async next(): Promise<{ resolve: () => void; reject: (error: TidingsError) => void }> {
    while (this.#calls.length === 0) await new Promise<void>((r) => (this.#waiting = r))
    return this.#calls.shift()!
  }
}

describe('browser client proxy: shared spaces', () => {
  it('forwards the spaces calls and streams the list of spaces', async () => {
    const fake = new FakeSpacesServer()
    const ada = await fake.addUser('Ada')
    const bob = await fake.addUser('Bob')
    const { client } = await tabs.open({
      server: { url: fake.url, token: ada.token, fetch: fake.fetch, attempts: 1 },
    })
    const listed = rowsUntil<Space>(
      (cb) => client.observeSpaces(cb),
      (spaces) => spaces.length === 1,
    )
    const library = await client.createSpace('Lib')
    expect(await listed).toEqual([library])
    expect(client.cachedSpaces()).toEqual([library])
    const code = await client.invite(library.id, 'reader', { maxUses: 1 })
    const doc = await client.create(
      'document',
      { author: 'Ada', title: 'x' },
      { space: library.id },
    )
    expect(doc.space).toBe(library.id)
    expect(await client.fetch('document', { space: library.id })).toEqual([doc])
    const bobDevice = await openClient({
      schema: librarySchema,
      database: openNodeDatabase(':memory:'),
      server: { url: fake.url, token: bob.token, fetch: fake.fetch, attempts: 1 },
    })
    await bobDevice.acceptInvite(code)
    expect((await client.members(library.id)).map((m) => m.name).sort()).toEqual(['Ada', 'Bob'])
    // Accepting as a member uses nothing and lowers nothing.
    expect(await client.acceptInvite(code)).toEqual(library)
    expect(
      isTidingsError(await client.leaveSpace(library.id).catch((e: unknown) => e), 'last_owner'),
    ).toBe(true)
    await client.setRole(library.id, bob.id, 'writer')
    await client.removeMember(library.id, bob.id)
    expect((await client.spaces()).map((s) => s.name)).toEqual(['Ada', 'Lib'])
    await bobDevice.close()
    await client.close()
  })

  it('signs out in the worker: a wipe with unsent changes is refused with its code, then the tab is closed for good', async () => {
    const tab = await tabs.open()
    const client = tab.client
    const doc = await client.create('document', { author: 'Ada', title: 'unsent' })
    const refused = await client.signOut({ wipe: true }).catch((error: unknown) => error)
    expect(isTidingsError(refused, 'unsent_changes')).toBe(true)
    expect((refused as TidingsError).details).toEqual({ pending: 1, rejected: 0 })
    expect(await client.get('document', doc.id)).toEqual(doc) // nothing happened
    await client.signOut({ wipe: true, discardUnsent: true })
    const after = await client.get('document', doc.id).catch((error: unknown) => error)
    expect(isTidingsError(after, 'unavailable')).toBe(true)
    // The next user opens a fresh database: nothing of the last one, a new client id.
    const next = await open()
    expect(next.clientId).not.toBe(client.clientId)
    expect(await next.fetch('document', {})).toEqual([])
  })
})
