import type { StatementCache } from '../driver/sqlite.js'

const TABLES = `SELECT type, name FROM sqlite_master
  WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'`

/**
 * Empties the database in place: every table and view dropped, then `VACUUM`, so the freed
 * pages (which still hold the old rows) are rewritten rather than left in the file. In place,
 * not by deleting the file: the client holds only a `SqliteDatabase`, which is the same in
 * Node (a file, with its WAL) and in the browser (OPFS, or blocks in IndexedDB), and every
 * one of them saves what SQLite writes. The next open starts from nothing: new client id, no
 * user, no data.
 */
export const wipeDatabase = (sql: StatementCache): void => {
  sql.transaction(() => {
    const objects = sql.all(TABLES) as Array<{ type: string; name: string }>
    for (const { type, name } of objects)
      sql.exec(
        `DROP ${type === 'view' ? 'VIEW' : 'TABLE'} IF EXISTS "${name.replaceAll('"', '""')}"`,
      )
  })
  sql.exec('VACUUM')
  // In WAL mode the old pages may still sit in the log until a checkpoint: copy and truncate now.
  sql.all('PRAGMA wal_checkpoint(TRUNCATE)')
}
