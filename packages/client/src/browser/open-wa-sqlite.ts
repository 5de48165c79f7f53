/// <reference path="./wa-sqlite-vfs.d.ts" />
import * as SQLite from '@journeyapps/wa-sqlite'
import SQLiteModuleFactory from '@journeyapps/wa-sqlite/dist/wa-sqlite.mjs'
import { OPFSCoopSyncVFS } from '@journeyapps/wa-sqlite/src/examples/OPFSCoopSyncVFS.js'
import { TidingsError } from '@tidings/protocol'
import { IdbSnapshot } from './idb-snapshot.js'
import type { BrowserStorage, StoragePreference } from './rpc.js'
import { WaSqliteDatabase } from './wa-sqlite-database.js'
import { bindSqlite, type WasmModule } from './wasm-module.js'

export interface OpenedDatabase {
  database: WaSqliteDatabase
  storage: BrowserStorage
  /** Resolves once every committed change is persisted (IndexedDB snapshots are deferred). */
  flush(): Promise<void>
}

/**
 * Opens the device database inside a dedicated worker on wa-sqlite's synchronous build:
 * OPFS (`OPFSCoopSyncVFS`) when the browser offers it, else an in-memory database persisted to
 * IndexedDB, else (IndexedDB refused too) a memory-only database with a loud warning.
 * A Web Lock per database name keeps a second tab from taking the OPFS handles mid-statement:
 * that tab waits until this one closes.
 */
export async function openWaSqlite(options: {
  name: string
  storage?: StoragePreference
  /** The compiled SQLite module, when already loading (see `loadSqlite`). */
  module?: Promise<WasmModule>
}): Promise<OpenedDatabase> {
  const preference = options.storage ?? 'auto'
  const release = await holdLock(`tidings-db:${options.name}`)
  try {
    const module = await (options.module ?? loadSqlite())
    const sqlite3 = SQLite.Factory(module)
    const c = bindSqlite(module)
    const onClose = () => release()

    const vfs = preference === 'indexeddb' ? null : await opfsVfs(module, preference)
    if (vfs) {
      sqlite3.vfs_register(vfs, false)
      const db = await sqlite3.open_v2(`${options.name}.sqlite3`, undefined, 'tidings-opfs')
      // The first statement takes the OPFS access handles (asynchronously, through wa-sqlite's
      // retry); afterwards every lock is granted synchronously. The Web Lock makes this the
      // only connection, so exclusive locking is free, and it lets WAL run without shared
      // memory: measured here, a write transaction drops from ~6 ms to under 1 ms.
      await sqlite3.exec(db, 'PRAGMA locking_mode = EXCLUSIVE')
      await sqlite3.exec(db, 'PRAGMA journal_mode = WAL')
      const database = new WaSqliteDatabase(module, c, db, { afterClose: onClose })
      return { database, storage: 'opfs', flush: async () => {} }
    }

    const db = await sqlite3.open_v2(':memory:')
    let snapshot: IdbSnapshot | null = null
    try {
      snapshot = await IdbSnapshot.open(options.name)
      await snapshot.restore(module, c, db)
    } catch (error) {
      snapshot?.close()
      snapshot = null
      console.error(
        'Tidings: neither OPFS nor IndexedDB is available. Data lives in memory only and ' +
          'is LOST when this page closes.',
        error,
      )
    }
    const saver = snapshot
    if (!saver) {
      const database = new WaSqliteDatabase(module, c, db, { afterClose: onClose })
      return { database, storage: 'memory', flush: async () => {} }
    }
    const database = new WaSqliteDatabase(module, c, db, {
      beforeClose: () => saver.close(),
      afterClose: onClose,
    })
    sqlite3.commit_hook(db, () => {
      saver.schedule()
      return 0
    })
    return { database, storage: 'indexeddb', flush: () => saver.flush() }
  } catch (error) {
    release()
    throw error instanceof TidingsError
      ? error
      : new TidingsError('unavailable', `opening the browser database failed: ${String(error)}`, {
          cause: error,
        })
  }
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

/** Holds an exclusive Web Lock until the returned function is called. */
async function holdLock(name: string): Promise<() => void> {
  if (typeof navigator === 'undefined' || !navigator.locks) return () => {}
  return await new Promise((granted) => {
    void navigator.locks.request(name, () => new Promise<void>((release) => granted(release)))
  })
}
