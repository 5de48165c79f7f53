/// <reference path="./wa-sqlite-vfs.d.ts" />
import * as SQLite from '@journeyapps/wa-sqlite'
import SQLiteModuleFactory from '@journeyapps/wa-sqlite/dist/wa-sqlite.mjs'
import { OPFSCoopSyncVFS } from '@journeyapps/wa-sqlite/src/examples/OPFSCoopSyncVFS.js'
import { TidingsError } from '@tidings/protocol'
import { BLOCK, BlockSaver, type FileChange, type Saves } from './block-saver.js'
import { IdbBlocks, type SavedFile } from './idb-blocks.js'
import { MirrorVFS } from './mirror-vfs.js'
import type { BrowserStorage, Durability, StoragePreference } from './rpc.js'
import { WaSqliteDatabase } from './wa-sqlite-database.js'
import { bindSqlite, type WasmModule } from './wasm-module.js'

export interface OpenedDatabase {
  database: WaSqliteDatabase
  storage: BrowserStorage
  durability: Durability
  /** Saves that complete after the commit returns (IndexedDB); null where there are none. */
  saves: Saves | null
}

const IDB_VFS = 'tidings-idb'

/**
 * Opens the device database inside a dedicated worker on wa-sqlite's synchronous build:
 * OPFS (`OPFSCoopSyncVFS`) when the browser offers it, else an in-memory database mirrored to
 * IndexedDB block by block, else (IndexedDB refused too) a memory-only database with a loud
 * warning. Call it holding the database's Web Lock (see `serveTab`): only the tab holding it
 * opens the database, so no other tab takes the OPFS handles (or writes the same IndexedDB
 * blocks) mid-statement.
 */
export async function openWaSqlite(options: {
  name: string
  storage?: StoragePreference
  /** The compiled SQLite module, when already loading (see `loadSqlite`). */
  module?: Promise<WasmModule>
}): Promise<OpenedDatabase> {
  const preference = options.storage ?? 'auto'
  try {
    const module = await (options.module ?? loadSqlite())
    const sqlite3 = SQLite.Factory(module)
    const c = bindSqlite(module)
    const file = `${options.name}.sqlite3`

    const vfs = preference === 'indexeddb' ? null : await opfsVfs(module, preference)
    if (vfs) {
      sqlite3.vfs_register(vfs, false)
      const db = await sqlite3.open_v2(file, undefined, 'tidings-opfs')
      // The first statement takes the OPFS access handles (asynchronously, through wa-sqlite's
      // retry); afterwards every lock is granted synchronously. The database's Web Lock makes this the
      // only connection, so exclusive locking is free, and it lets WAL run without shared
      // memory: measured here, a write transaction drops from ~6 ms to under 1 ms.
      await sqlite3.exec(db, 'PRAGMA locking_mode = EXCLUSIVE')
      await sqlite3.exec(db, 'PRAGMA journal_mode = WAL')
      // This build's WAL default is NORMAL (a commit may be lost to an OS crash or power cut
      // until the next checkpoint), and it applies whenever an existing WAL database is
      // reopened. FULL flushes the WAL at every commit, so a resolved write is on disk.
      await sqlite3.exec(db, 'PRAGMA synchronous = FULL')
      const database = new WaSqliteDatabase(module, c, db)
      return { database, storage: 'opfs', durability: durability(database, 'saved'), saves: null }
    }

    let blocks: IdbBlocks | null = null
    let saved: SavedFile
    try {
      blocks = await IdbBlocks.open(options.name)
      saved = await blocks.load()
    } catch (error) {
      blocks?.close()
      console.error(
        'Tidings: neither OPFS nor IndexedDB is available. Data lives in memory only and ' +
          'is LOST when this page closes.',
        error,
      )
      const db = await sqlite3.open_v2(':memory:')
      const database = new WaSqliteDatabase(module, c, db)
      return {
        database,
        storage: 'memory',
        durability: durability(database, 'memory'),
        saves: null,
      }
    }
    const store = blocks
    const saver = new BlockSaver(store, 'IndexedDB')
    const mirror = new MirrorVFS(IDB_VFS, module, { path: file, ...saved }, (change) =>
      saver.push(change),
    )
    sqlite3.vfs_register(mirror as unknown as SQLiteVFS, false)
    const db = await sqlite3.open_v2(file, undefined, IDB_VFS)
    // Rollbacks need a journal, but one that never leaves memory: only committed states are
    // mirrored, so there is no torn file to roll back after a crash.
    await sqlite3.exec(db, 'PRAGMA journal_mode = MEMORY')
    const database = new WaSqliteDatabase(module, c, db, {
      afterClose: () => {
        void saver.settled().finally(() => store.close())
      },
    })
    if (saved.legacy) {
      // A version 1 snapshot: saved whole as blocks once (the snapshot goes in that transaction).
      // If that save fails the snapshot stays, the client opens, and the status says `unsaved`.
      saver.push(wholeFile(saved))
      await saver.durable().catch(() => {})
    }
    return {
      database,
      storage: 'indexeddb',
      durability: durability(database, 'saved'),
      saves: saver,
    }
  } catch (error) {
    throw error instanceof TidingsError
      ? error
      : new TidingsError('unavailable', `opening the browser database failed: ${String(error)}`, {
          cause: error,
        })
  }
}

const SYNCHRONOUS = ['off', 'normal', 'full', 'extra'] as const

/** What a resolved write means here, with `synchronous` read back from the database itself. */
function durability(database: WaSqliteDatabase, writes: Durability['writes']): Durability {
  const row = database.prepare('PRAGMA synchronous').all([])[0] as { synchronous: number }
  return { writes, synchronous: SYNCHRONOUS[row.synchronous] ?? 'full' }
}

/** Every block of a file, as one change. */
function wholeFile(saved: SavedFile): FileChange {
  const blocks = new Map<number, Uint8Array>()
  for (let index = 0; index * BLOCK < saved.size; index++) {
    const bytes = new Uint8Array(BLOCK)
    bytes.set(saved.image.subarray(index * BLOCK, Math.min((index + 1) * BLOCK, saved.size)))
    blocks.set(index, bytes)
  }
  return { size: saved.size, blocks }
}

/** The OPFS VFS, or null where the browser has no usable OPFS (then IndexedDB is used). */
async function opfsVfs(
  module: WasmModule,
  preference: StoragePreference,
): Promise<SQLiteVFS | null> {
  try {
    if (!hasOpfs()) throw new TidingsError('unavailable', 'this browser offers no OPFS sync access')
    return (await OPFSCoopSyncVFS.create('tidings-opfs', module)) as unknown as SQLiteVFS
  } catch (error) {
    if (preference === 'opfs') throw error
    console.warn('Tidings: OPFS is unavailable, keeping the database in IndexedDB', error)
    return null
  }
}

/** Fetches and compiles wa-sqlite's synchronous build (about 0.5 MB of gzipped wasm). */
export const loadSqlite = async (): Promise<WasmModule> =>
  (await SQLiteModuleFactory()) as WasmModule

function hasOpfs(): boolean {
  return (
    typeof navigator !== 'undefined' &&
    typeof navigator.storage?.getDirectory === 'function' &&
    typeof FileSystemFileHandle !== 'undefined' &&
    'createSyncAccessHandle' in FileSystemFileHandle.prototype
  )
}
