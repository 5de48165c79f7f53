import type { Kysely } from 'kysely'
import { quote, type StatementCache } from '../driver/sqlite.js'
import { GET_STATE, SET_STATE } from './sql.js'
import { type TypedTables, tableName } from './typed.js'

/**
 * Bulk load of a new device's first sync (issue 16). A device with an empty log that pulls a
 * history of many pages (a compacted space: 250,000 winners) spent most of its apply time
 * keeping the typed tables' secondary indexes in order, one random b-tree insertion per row and
 * index. So while such a first sync runs, those indexes are dropped, and made again in one
 * sorted pass when the pull has caught up. Primary keys stay: upserts need them (and the log's
 * event-id index, registers and `entity_spaces` are untouched), so every write is exactly as
 * without the bulk load and every query answers the same, only unindexed.
 *
 * `sync_state` holds `bulk_load` while the indexes are away, so nothing can leave a device
 * without them for good: the indexes come back when the last page is applied, at the next open
 * (`evolve` creates missing indexes; the mark is then cleared), and at a wipe.
 */
export const BULK_LOAD_KEY = 'bulk_load'

/** Whether a bulk load is under way (its mark is set). */
export const inBulkLoad = (sql: StatementCache): boolean =>
  sql.one<{ value: string }>(GET_STATE, [BULK_LOAD_KEY]) !== undefined

/**
 * A device is fresh when its log holds nothing, not even a local write or a part held aside:
 * then no query result depends on indexed data yet, and its first pages may be bulk loaded.
 */
const fresh = (sql: StatementCache): boolean =>
  sql.one('SELECT 1 AS one FROM bundles LIMIT 1') === undefined &&
  sql.one('SELECT 1 AS one FROM held_parts LIMIT 1') === undefined

/**
 * Starts a bulk load when the device is fresh and none is under way: drops the secondary
 * indexes the client made on its typed tables and sets the mark, in one transaction. Returns
 * whether one is under way afterwards.
 */
export const beginBulkLoad = (sql: StatementCache, types: readonly string[]): boolean => {
  // Asked before every page of a pull: the common answers need no transaction.
  if (inBulkLoad(sql)) return true
  if (!fresh(sql)) return false
  return sql.transaction(() => {
    if (inBulkLoad(sql)) return true
    if (!fresh(sql)) return false
    for (const type of types) {
      const table = tableName(type)
      // `c`: made by CREATE INDEX (see `TypedTables.createIndexes`); the primary key is `pk`.
      for (const index of sql.all<{ name: string; origin: string }>(
        `PRAGMA index_list(${quote(table)})`,
      ))
        if (index.origin === 'c') sql.exec(`DROP INDEX ${quote(index.name)}`)
    }
    sql.run(SET_STATE, [BULK_LOAD_KEY, new Date().toISOString()])
    return true
  })
}

/**
 * Ends a bulk load, if one is under way, in the caller's transaction: every typed table's
 * indexes are made (`CREATE INDEX` sorts the rows once) and the mark is cleared. Returns
 * whether there was one to end.
 */
export const endBulkLoad = (
  sql: StatementCache,
  typed: TypedTables,
  kysely: Kysely<unknown>,
  types: readonly string[],
): boolean => {
  if (!inBulkLoad(sql)) return false
  restoreIndexes(sql, typed, kysely, types)
  return true
}

/** Makes every typed table's missing indexes and clears the mark (at the end, a wipe, an open). */
export const restoreIndexes = (
  sql: StatementCache,
  typed: TypedTables,
  kysely: Kysely<unknown>,
  types: readonly string[],
): void => {
  for (const type of types) typed.createIndexes(kysely, type)
  sql.run('DELETE FROM sync_state WHERE key = ?', [BULK_LOAD_KEY])
}
