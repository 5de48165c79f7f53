import { quote, type StatementCache } from '../driver/sqlite.js'

/**
 * Column changes of a typed table that Kysely's portable DDL does not cover, for schema
 * changes between app versions. The log and the registers are never touched: a column is only
 * a projection, made again from the registers by the caller's back-fill.
 */

/**
 * Drops a column the schema no longer declares (renamed, or removed), with the indexes on it:
 * left in place it would go stale, and a rebuild (which fills declared columns only) would not
 * show the same rows. An app version declaring it again gets it back, back-filled.
 */
export const dropColumn = (sql: StatementCache, table: string, column: string): void => {
  for (const index of sql.all<{ name: string; origin: string }>(
    `PRAGMA index_list(${quote(table)})`,
  )) {
    // Only the indexes the client created (`c`); the primary key never covers an attribute.
    if (index.origin !== 'c') continue
    const covers = sql
      .all<{ name: string | null }>(`PRAGMA index_info(${quote(index.name)})`)
      .some((c) => c.name === column)
    if (covers) sql.exec(`DROP INDEX ${quote(index.name)}`)
  }
  sql.exec(`ALTER TABLE ${quote(table)} DROP COLUMN ${quote(column)}`)
}

/**
 * Gives a column a new SQLite type, when a later app version changed the attribute's kind
 * (`pages`: string → number). SQLite keeps a column's declared type, and its affinity would
 * store the new kind's values as the old one's (a TEXT column turns 474 into '474'), so the
 * column is dropped and added anew; the caller back-fills it and recreates its indexes.
 */
export const retypeColumn = (
  sql: StatementCache,
  table: string,
  column: string,
  type: string,
): void => {
  dropColumn(sql, table, column)
  sql.exec(`ALTER TABLE ${quote(table)} ADD COLUMN ${quote(column)} ${type}`)
}
