import { type Kysely, type Migration, sql } from 'kysely'
import type { Family } from '../dialects/family.js'

// biome-ignore lint/suspicious/noExplicitAny: migrations run against an untyped handle on purpose
type Db = Kysely<any>

/**
 * Compaction (see `compaction/`): per stream (a space, private or shared), the HLC below which
 * superseded events were dropped, so pull answers can tell clients where their history of that
 * space was cut. A stream never compacted has no row. The bundles themselves keep their rows
 * and positions: a compacted bundle holds fewer events (none at all once every one of them was
 * superseded), and its `hash` stays the hash of the bundle as pushed, so a retry is acknowledged.
 */
export const compaction = (family: Family): Migration => {
  const text = family === 'postgres' ? sql`text collate "C"` : sql`text`
  return {
    async up(db: Db) {
      await db.schema
        .createTable('horizons')
        .addColumn('stream', text, (c) => c.primaryKey())
        .addColumn('hlc', text, (c) => c.notNull())
        .addColumn('compacted_at', 'bigint', (c) => c.notNull())
        .addColumn('dropped', 'bigint', (c) => c.notNull())
        .execute()
    },
    async down(db: Db) {
      await db.schema.dropTable('horizons').execute()
    },
  }
}
