import { isTidingsError } from '@tidings/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { openClient } from '../api/client.js'
import { openNodeDatabase } from '../node.js'
import { type LibrarySchema, librarySchema } from '../test/fixtures.js'
import { type BrowserClient, openBrowserClient } from './open-browser-client.js'
import { type HostedClient, serveClient } from './serve.js'

// The page ↔ worker RPC over a real MessageChannel, the client core on better-sqlite3 behind
// it: everything of the browser client except wa-sqlite (which the e2e tests run in Chromium).
const open = async (): Promise<BrowserClient<LibrarySchema>> => {
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
      storage: 'memory',
      status: client.status,
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
})
