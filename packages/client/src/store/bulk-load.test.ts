import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Bundle } from '@tidings/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import type { LocalClient } from '../api/client.js'
import { openClient } from '../api/client.js'
import { openNodeDatabase } from '../node.js'
import { internals, type LibraryClient, librarySchema, memoryClient } from '../test/fixtures.js'
import { pagedServer } from '../test/paged-server.js'
import { BULK_LOAD_KEY } from './bulk-load.js'
import type { StoreHooks } from './store.js'

/** Another device's bundles: `count` documents, one bundle each, authors and titles mixed. */
const othersBundles = async (count: number): Promise<Bundle[]> => {
  const writer = await memoryClient()
  const bundles: Bundle[] = []
  for (let i = 0; i < count; i++)
    bundles.push(
      internals(writer).store.commitLocal(
        [
          { type: 'document', entity: `d${i}`, attribute: 'author', value: `a${i % 3}` },
          { type: 'document', entity: `d${i}`, attribute: 'title', value: `t${(i * 7) % 10}` },
        ],
        10,
      ).bundle,
    )
  await writer.close()
  return bundles
}

/** The indexes the client made on the documents' typed table (primary key aside). */
const indexes = (client: LibraryClient | LocalClient): string[] =>
  (
    internals(client as LibraryClient).store.sql.all(`PRAGMA index_list('t_document')`) as Array<{
      name: string
      origin: string
    }>
  )
    .filter((i) => i.origin === 'c')
    .map((i) => i.name)
    .sort()

const INDEXES = ['t_document_author', 't_document_space', 't_document_title']

/** Queries that an index could answer, as `fetch` takes them. */
const answers = async (client: LibraryClient) => [
  await client.fetch('document', { where: { author: 'a1' }, orderBy: { title: 'asc' } }),
  await client.fetch('document', { orderBy: { title: 'desc' }, limit: 4 }),
  await client.fetch('document', { where: { title: 't3' } }),
]

const dirs: string[] = []
const fileClient = (file: string, fetch: typeof globalThis.fetch, hooks?: StoreHooks) =>
  openClient({
    schema: librarySchema,
    database: openNodeDatabase(file),
    server: { url: 'http://fake', token: 't', fetch, backoffMs: 5 },
    ...(hooks ? { hooks } : {}),
  })
const newFile = (): string => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tidings-bulk-'))
  dirs.push(dir)
  return path.join(dir, 'client.db')
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe("bulk load of a new device's first sync", () => {
  it('drops the typed indexes while the pages come, and makes them again at the last one', async () => {
    const bundles = await othersBundles(6)
    const seen: Array<{ indexes: string[]; mark: boolean }> = []
    let client: LibraryClient | null = null
    client = await fileClient(newFile(), pagedServer(bundles).fetch, {
      afterApplyBundle: () => {
        const store = internals(client as LibraryClient).store
        seen.push({
          indexes: indexes(client as LibraryClient),
          mark: !!store.getState(BULK_LOAD_KEY),
        })
      },
    })
    expect(indexes(client)).toEqual(INDEXES)
    expect(await client.sync()).toEqual({ pushed: 0, pulled: 6 })
    // Every page is applied without them (the last one makes them after its bundles).
    expect(seen).toHaveLength(6)
    for (const page of seen) expect(page).toEqual({ indexes: [], mark: true })
    expect(indexes(client)).toEqual(INDEXES)
    expect(internals(client).store.getState(BULK_LOAD_KEY)).toBeUndefined()

    const reference = await memoryClient()
    internals(reference).store.applyRemote(bundles)
    expect(await answers(client)).toEqual(await answers(reference))
    expect(internals(client).store.dump()).toEqual(internals(reference).store.dump())
    await Promise.all([client.close(), reference.close()])
  })

  it('leaves a device that holds something alone, and a one-page pull too', async () => {
    const bundles = await othersBundles(3)
    let writing: LibraryClient | null = null
    const seen: string[][] = []
    writing = await fileClient(newFile(), pagedServer(bundles).fetch, {
      afterApplyBundle: () => seen.push(indexes(writing as LibraryClient)),
    })
    await writing.create('document', { author: 'me', title: 'mine' })
    await writing.sync().catch(() => undefined)
    // The local bundle is refused by this fake server or not: either way no index went away.
    expect(seen.length).toBeGreaterThan(0)
    for (const page of seen) expect(page).toEqual(INDEXES)

    const one = await othersBundles(1)
    const single = await fileClient(newFile(), pagedServer(one).fetch)
    expect(await single.sync()).toEqual({ pushed: 0, pulled: 1 })
    expect(indexes(single)).toEqual(INDEXES)
    expect(internals(single).store.getState(BULK_LOAD_KEY)).toBeUndefined()
    await Promise.all([writing.close(), single.close()])
  })

  it('makes the indexes again at the next open after a crash mid-load; queries answer the same', async () => {
    const bundles = await othersBundles(8)
    const file = newFile()
    let applied = 0
    const crashing = await fileClient(file, pagedServer(bundles).fetch, {
      afterApplyBundle: () => {
        applied += 1
        if (applied === 4) throw new Error('crash while applying')
      },
    })
    await expect(crashing.sync()).rejects.toThrow('crash while applying')
    // Three pages are in, without indexes, and the mark says so.
    expect(indexes(crashing)).toEqual([])
    expect(internals(crashing).store.getState(BULK_LOAD_KEY)).toBeDefined()
    const during = await answers(crashing)
    expect(during[0]).not.toEqual([])
    await crashing.close()

    const reopened = await fileClient(file, pagedServer(bundles).fetch)
    expect(indexes(reopened)).toEqual(INDEXES)
    expect(internals(reopened).store.getState(BULK_LOAD_KEY)).toBeUndefined()
    expect(await answers(reopened)).toEqual(during)
    // The rest comes as an ordinary pull: the log is no longer empty.
    expect(await reopened.sync()).toEqual({ pushed: 0, pulled: 5 })
    expect(indexes(reopened)).toEqual(INDEXES)
    const reference = await memoryClient()
    internals(reference).store.applyRemote(bundles)
    expect(await answers(reopened)).toEqual(await answers(reference))
    await Promise.all([reopened.close(), reference.close()])
  })

  it('makes the indexes again when the device is wiped mid-load', async () => {
    const bundles = await othersBundles(5)
    let applied = 0
    const client = await fileClient(newFile(), pagedServer(bundles).fetch, {
      afterApplyBundle: () => {
        applied += 1
        if (applied === 2) throw new Error('crash while applying')
      },
    })
    await expect(client.sync()).rejects.toThrow('crash while applying')
    expect(indexes(client)).toEqual([])
    internals(client).store.wipe()
    expect(indexes(client)).toEqual(INDEXES)
    expect(internals(client).store.getState(BULK_LOAD_KEY)).toBeUndefined()
    // Wiped, the device is new again: its next first sync is a bulk load of its own.
    expect(await client.sync()).toEqual({ pushed: 0, pulled: 5 })
    expect(indexes(client)).toEqual(INDEXES)
    expect(await client.fetch('document')).toHaveLength(5)
    await client.close()
  })
})
