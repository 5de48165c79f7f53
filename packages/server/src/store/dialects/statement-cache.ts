import type { Database as BetterSqlite, Statement } from 'better-sqlite3'
import type { SqliteDatabase, SqliteStatement } from 'kysely'

const MAX_STATEMENTS = 500

/**
 * Kysely prepares every query anew; preparing costs more than running a small statement, so
 * this keeps the prepared statements of recent SQL texts. Safe because Kysely runs one query
 * at a time on its single SQLite connection.
 */
export const cachingStatements = (sqlite: BetterSqlite): SqliteDatabase => {
  const cache = new Map<string, Statement>()
  return {
    close: () => sqlite.close(),
    prepare: (sql: string): SqliteStatement => {
      let statement = cache.get(sql)
      if (!statement) {
        if (cache.size >= MAX_STATEMENTS) cache.clear()
        statement = sqlite.prepare(sql)
        cache.set(sql, statement)
      }
      return statement as unknown as SqliteStatement
    },
  }
}
