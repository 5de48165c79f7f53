import { existsSync } from 'node:fs'
import { TidingsError } from '@tidings/protocol'
import SqliteDatabase from 'better-sqlite3'

export interface BackupOptions {
  /** The database URL (`sqlite:PATH`): the file a running server may be writing. */
  db: string
  /** Where the copy goes; must not exist (a backup never overwrites). */
  out: string
  /** Called as pages are copied: done and total pages. */
  progress?: (done: number, total: number) => void
}

/**
 * `tidings backup`: a consistent copy of a live SQLite database through SQLite's online backup
 * API, page by page, while a server keeps serving (WAL lets it write meanwhile; a page changed
 * during the copy makes SQLite copy it again). Restoring is stopping the server, putting the
 * copy in place of the file, and starting it again: clients that synced after the backup find
 * their cursors no longer match (invariant 7), pull again, and push what the copy lacks.
 *
 * Postgres has its own tools for this (`pg_dump`, or base backups and WAL archiving), which do
 * the same job better than anything we could wrap.
 */
export const backupSqlite = async (options: BackupOptions): Promise<{ pages: number }> => {
  const { db, out } = options
  if (db.startsWith('postgres://') || db.startsWith('postgresql://') || db.startsWith('pglite:'))
    throw new TidingsError(
      'bad_request',
      'backup copies SQLite files; for Postgres use pg_dump (e.g. pg_dump -Fc -f tidings.dump "$DATABASE_URL") or your provider\'s backups',
    )
  if (!db.startsWith('sqlite:') || db === 'sqlite::memory:')
    throw new TidingsError(
      'bad_request',
      `backup needs --db sqlite:PATH, got ${JSON.stringify(db)}`,
    )
  const path = db.slice('sqlite:'.length)
  if (!existsSync(path)) throw new TidingsError('not_found', `no database file at ${path}`)
  if (existsSync(out))
    throw new TidingsError('conflict', `${out} exists; a backup never overwrites a file`)
  const source = new SqliteDatabase(path, { readonly: true, fileMustExist: true })
  try {
    let pages = 0
    await source.backup(out, {
      progress: ({ totalPages, remainingPages }) => {
        pages = totalPages
        options.progress?.(totalPages - remainingPages, totalPages)
        // Pages per step: large enough to be quick, small enough to let the server write.
        return 1_000
      },
    })
    return { pages }
  } finally {
    source.close()
  }
}
