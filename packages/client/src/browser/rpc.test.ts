import { isTidingsError, TidingsError } from '@tidings/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { openClient } from '../api/client.js'
import { openNodeDatabase } from '../node.js'
import { type LibrarySchema, librarySchema } from '../test/fixtures.js'
import type { Saves } from './block-saver.js'
import { type BrowserClient, openBrowserClient } from './open-browser-client.js'
import { type HostedClient, serveClient } from './serve.js'

// The page ↔ worker RPC over a real MessageChannel, the client core on better-sqlite3 behind
// it: everything of the browser client except wa-sqlite (which the e2e tests run in Chromium).
const open = async (saves?: Saves): Promise<BrowserClient<LibrarySchema>> => {
  const { port1, port2 } = new MessageChannel()
  port1.start()
  serveClient(port1, async () => {
    const client = await openClient({
      schema: librarySchema,
      database: openNodeDatabase(':memory:'),
    })
    return {
      client: client as unknown as HostedClient,
      clientId: client.clientId,
      storage: saves ? 'indexeddb' : 'memory',
      durability: { writes: saves ? 'saved' : 'memory', synchronous: 'full' },
      status: client.status,
      saves: saves ?? null,
    }
  })
  opened.push(port1, port2)
  return openBrowserClient<LibrarySchema>({ worker: port2 })
}
const opened: MessagePort[] = []
afterEach(() => {
  for (const port of opened.splice(0)) port.close()
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
