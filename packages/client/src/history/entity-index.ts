import type { StatementCache } from '../driver/sqlite.js'

/** The optional index of the log by entity (`openClient({ historyIndex: true })`). */
const INDEX = 'events_by_entity'

/**
 * Creates or drops the log's index by (type, entity), as the app's `historyIndex` option says
 * at each open — like a typed table's indexes, it follows the app, not a migration. The log has
 * none by default: every logged event would pay for one more b-tree entry, on the hottest paths
 * (local writes, pulls). With it, `history` and `asOf(...).get` look an entity up instead of
 * scanning the log (see the `history` rows in bench/RESULTS.md); an app that shows history
 * often may choose that trade.
 */
export const indexHistory = (sql: StatementCache, on: boolean): void => {
  if (on) sql.exec(`CREATE INDEX IF NOT EXISTS ${INDEX} ON events (type, entity)`)
  else sql.exec(`DROP INDEX IF EXISTS ${INDEX}`)
}
