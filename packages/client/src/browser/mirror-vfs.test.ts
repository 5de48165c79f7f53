import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import * as SQLite from '@journeyapps/wa-sqlite'
import SQLiteModuleFactory from '@journeyapps/wa-sqlite/dist/wa-sqlite.mjs'
import { isTidingsError } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { openClient } from '../api/client.js'
import { librarySchema } from '../test/fixtures.js'
import { BLOCK, BlockSaver, type BlockStore, type FileChange, merge } from './block-saver.js'
import { MirrorVFS } from './mirror-vfs.js'
import { WaSqliteDatabase } from './wa-sqlite-database.js'
import { bindSqlite, type WasmModule } from './wasm-module.js'

// The IndexedDB fallback's save path in Node: the mirror VFS on wa-sqlite's synchronous build,
// its saver, and a store kept in a map (IndexedDB itself runs in Chromium, tests/e2e).
const wasm = readFileSync(
  createRequire(import.meta.url).resolve('@journeyapps/wa-sqlite/dist/wa-sqlite.wasm'),
)

/** A block store in memory that can be told to fail, like IndexedDB over its quota. */
class MapStore implements BlockStore {
  size = 0
  readonly blocks = new Map<number, Uint8Array>()
  failing = false
  readonly saves: FileChange[] = []

  async save(change: FileChange): Promise<void> {
    await Promise.resolve()
    if (this.failing) throw new DOMException('over the quota', 'QuotaExceededError')
    this.saves.push(change)
    const merged = merge({ size: this.size, blocks: this.blocks }, change)
    this.blocks.clear()
    for (const [index, bytes] of merged.blocks) this.blocks.set(index, bytes)
    this.size = change.size
  }

  image(): Uint8Array {
    const image = new Uint8Array(Math.ceil(this.size / BLOCK) * BLOCK)
    for (const [index, bytes] of this.blocks) image.set(bytes, index * BLOCK)
    return image
  }
}

/** Opens `library.sqlite3` from what `store` holds, as the browser does from IndexedDB. */
async function openMirrored(store: MapStore) {
  const module = (await SQLiteModuleFactory({ wasmBinary: wasm })) as WasmModule
  const sqlite3 = SQLite.Factory(module)
  const saver = new BlockSaver(store, 'the test store')
  const file = { path: 'library.sqlite3', image: store.image(), size: store.size }
  const vfs = new MirrorVFS('mirror', module, file, (change) => saver.push(change))
  sqlite3.vfs_register(vfs as unknown as SQLiteVFS, false)
  const db = await sqlite3.open_v2('library.sqlite3', undefined, 'mirror')
  await sqlite3.exec(db, 'PRAGMA journal_mode = MEMORY')
  return { database: new WaSqliteDatabase(module, bindSqlite(module), db), saver }
}

const count = (database: WaSqliteDatabase, sql: string): number =>
  Number((database.prepare(sql).all([])[0] as { n: number }).n)

describe('the IndexedDB fallback: a mirror VFS saving committed blocks', () => {
  it('saves a small write as a few blocks, not the whole file, and reopens from them', async () => {
    const store = new MapStore()
    const { database, saver } = await openMirrored(store)
    const client = await openClient({ schema: librarySchema, database })
    for (let start = 0; start < 2_000; start += 100) {
      await client.transaction(async (tx) => {
        for (let i = start; i < start + 100; i++) {
          await tx.create('document', { author: `Author ${i % 37}`, title: `Document ${i}` })
        }
      })
    }
    await saver.durable()
    const before = store.saves.length
    await client.create('document', { author: 'Ada', title: 'One more' })
    await saver.durable()
    const small = store.saves.slice(before)
    const bytes = small.reduce((sum, change) => sum + change.blocks.size * BLOCK, 0)
    console.log(
      `one small write into 2,000 documents: ${bytes} bytes saved in ${small.length} ` +
        `write(s); the whole file is ${store.size} bytes`,
    )
    expect(small.length).toBe(1)
    expect(bytes * 10).toBeLessThan(store.size)
    await client.close()

    const reopened = await openMirrored(store)
    const check = reopened.database.prepare('PRAGMA integrity_check').all([])
    expect(check).toEqual([{ integrity_check: 'ok' }])
    const again = await openClient({ schema: librarySchema, database: reopened.database })
    expect(await again.fetch('document')).toHaveLength(2_001)
    await again.close()
  })

  it('fails the waiting writes as not_saved, keeps the change, and saves it with the next one', async () => {
    const store = new MapStore()
    const { database, saver } = await openMirrored(store)
    const failures: Array<string | null> = []
    saver.onFailure((failure) => failures.push(failure?.code ?? null))
    database.prepare('CREATE TABLE t (v TEXT)').run([])
    await saver.durable()

    store.failing = true
    database.prepare('INSERT INTO t VALUES (?)').run(['kept in memory'])
    const error = await saver.durable().catch((e: unknown) => e)
    expect(isTidingsError(error, 'not_saved')).toBe(true)
    expect((error as Error).message).toContain('QuotaExceededError')
    expect(saver.failure?.code).toBe('not_saved')

    store.failing = false
    database.prepare('INSERT INTO t VALUES (?)').run(['the next one'])
    await saver.durable()
    expect(saver.failure).toBeNull()
    expect(failures).toEqual(['not_saved', null])
    database.close()
    const reopened = await openMirrored(store)
    const rows = reopened.database.prepare('SELECT v FROM t ORDER BY rowid').all([])
    expect(rows).toEqual([{ v: 'kept in memory' }, { v: 'the next one' }])
  })

  it('saves only committed states: a rolled back transaction changes nothing saved', async () => {
    const store = new MapStore()
    const { database, saver } = await openMirrored(store)
    // A page cache of 10 pages makes this big transaction spill pages into the file.
    database.prepare('PRAGMA cache_size = 10').run([])
    database.prepare('CREATE TABLE t (v TEXT)').run([])
    await saver.durable()
    const committed = store.image().slice()
    const insert = database.prepare('INSERT INTO t VALUES (?)')
    database.prepare('BEGIN').run([])
    for (let i = 0; i < 500; i++) insert.run(['x'.repeat(500)])
    await saver.durable() // mid-transaction: nothing is captured, so nothing is saved
    expect(store.image()).toEqual(committed)
    database.prepare('ROLLBACK').run([])
    await saver.durable()
    expect(store.image().subarray(0, committed.byteLength)).toEqual(committed)
    database.prepare('VACUUM').run([])
    await saver.durable()
    const reopened = await openMirrored(store)
    expect(count(reopened.database, 'SELECT count(*) AS n FROM t')).toBe(0)
  })
})
