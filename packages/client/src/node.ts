import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { SqliteDatabase } from './driver/sqlite.js'
import { loadBetterSqlite3 } from './node-driver.js'

// Loaded once, at import; a missing package is reported by the first `openNodeDatabase`.
const betterSqlite3 = await loadBetterSqlite3()

export interface NodeDatabaseOptions {
  /**
   * `normal` (default): in WAL mode a commit survives any process crash and the file never
   * corrupts; only an OS crash or power loss may roll back the last few commits, always whole
   * transactions (cursor and pulled events together). `full` also fsyncs every commit, for
   * devices where losing an un-pushed local write to a power cut is unacceptable.
   */
  synchronous?: 'normal' | 'full'
  /** How long a writer waits for another connection's lock before `SQLITE_BUSY`, ms. */
  busyTimeoutMs?: number
}

/**
 * Opens a better-sqlite3 database for the client: WAL for files (readers never block the
 * writer), foreign keys on, a busy timeout. `':memory:'` gives a throwaway database.
 * Throws a `TidingsError` (`internal`, `details.missingPackage`) when better-sqlite3 is not
 * installed.
 */
export const openNodeDatabase = (
  path: string,
  options: NodeDatabaseOptions = {},
): SqliteDatabase => {
  const Database = betterSqlite3()
  const db = new Database(path)
  if (path !== ':memory:' && path !== '') db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
  db.pragma('foreign_keys = ON')
  // 64 MiB of page cache (SQLite's default is 2 MiB): the log's indexes outgrow 2 MiB within
  // a few ten thousand events, and every write would then re-read index pages from the OS.
  db.pragma('cache_size = -65536')
  // Checkpoint the WAL every ~40 MB instead of every 4 MB: a large local transaction or pulled
  // page rewrites the same index pages, and each checkpoint copies and fsyncs them again.
  // (Measured: about a third more events/s on the write and apply paths.)
  db.pragma('wal_autocheckpoint = 10000')
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5_000))}`)
  return db
}

/**
 * Where `account`'s own database lives in `directory` (created if missing): one database per
 * user of a device, so users never share data or a client id, and each user's data (and
 * unsent changes) wait there while another user is signed in. Give the same name as
 * `server.account`. The file name keeps `a-z 0-9 _ -` and escapes every other UTF-8 byte
 * (`Ada` → `%41da.db`), so two accounts never share a file, even where file names ignore case.
 */
export const accountDatabasePath = (directory: string, account: string): string => {
  if (account === '') throw new TypeError('accountDatabasePath needs a non-empty account')
  mkdirSync(directory, { recursive: true })
  let name = ''
  for (const byte of new TextEncoder().encode(account)) {
    const char = String.fromCharCode(byte)
    name += /[a-z0-9_-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return join(directory, `${name}.db`)
}
