import { quote, type StatementCache } from '../driver/sqlite.js'

/**
 * What a wiped device keeps of `sync_state`: who it is (`client`), its clock (`last_hlc`, so it
 * never issues an HLC the server already holds: invariant 2; `offset_ms`), and which server and
 * account it syncs with. The cursor goes, so the next sync pulls everything again, this
 * client's own bundles included (the server sends a client its own bundles back, DESIGN §6).
 */
export const KEPT_STATE = ['client', 'last_hlc', 'offset_ms', 'account', 'server_urls'] as const

/**
 * Empties the local store for a resync, in the caller's transaction: every row of every table
 * (log, registers, typed tables, outbox, refusals, held parts, spaces…) but the migrations'
 * records and the kept `sync_state` keys. Tables are listed from `sqlite_master`, so a table a
 * later migration adds is emptied too without anyone remembering this function.
 */
export const wipeRows = (sql: StatementCache): void => {
  const tables = sql.all<{ name: string }>(
    `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
     AND name NOT LIKE 'tidings_migration%' AND name <> 'sync_state'`,
  )
  for (const { name } of tables) sql.run(`DELETE FROM ${quote(name)}`)
  const kept = KEPT_STATE.map(() => '?').join(', ')
  sql.run(`DELETE FROM sync_state WHERE key NOT IN (${kept})`, KEPT_STATE)
}
