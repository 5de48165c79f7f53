import SqliteDatabase from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import type { Database } from '../schema.js'
import type { Backend } from './family.js'
import { cachingStatements } from './statement-cache.js'

/**
 * SQLite through better-sqlite3: the embedded default. WAL with `synchronous=FULL` makes every
 * commit durable before it is acknowledged; `busy_timeout` lets the CLI and a running server
 * share the file.
 */
export const openSqlite = (path: string): Backend => {
  const sqlite = new SqliteDatabase(path)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = FULL')
  sqlite.pragma('busy_timeout = 5000')
  sqlite.pragma('foreign_keys = ON')
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: cachingStatements(sqlite) }),
  })
  return { family: 'sqlite', db, description: `sqlite:${path}` }
}
