import { TidingsError } from '@tidings/protocol'
import { type Kysely, type Migration, Migrator, sql } from 'kysely'
import { clientFromHlc } from './client-from-hlc.js'
import { eventRanges } from './event-ranges.js'
import { knownEvents } from './known-events.js'
import { partsMigration } from './parts-migration.js'
import { registersBySeq } from './registers-by-seq.js'
import { spacesMigration } from './spaces-migration.js'
import { undoMigration } from './undo-migration.js'
import { unreadableMigration } from './unreadable-migration.js'

/**
 * The fixed tables of the local store. Frozen in time: a migration never changes once shipped,
 * and is written against an untyped handle, never against today's types. Typed tables (one per
 * schema type) are not migrations: they follow the app's schema at every open.
 */
const sqlWithoutRowid = sql`without rowid`

const migrations: Record<string, Migration> = {
  '0001_log': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('bundles')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('client', 'text', (c) => c.notNull())
        .addColumn('hlc', 'text', (c) => c.notNull())
        .addColumn('local', 'integer', (c) => c.notNull())
        .addColumn('acknowledged', 'integer', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('bundle', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('entity', 'text', (c) => c.notNull())
        .addColumn('attribute', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('hlc', 'text', (c) => c.notNull())
        .addColumn('client', 'text', (c) => c.notNull())
        .execute()
      // Loading one bundle's events (push, verify) must not scan the log.
      await db.schema.createIndex('events_bundle').on('events').columns(['bundle', 'hlc']).execute()
      // One row per register: the winning event of (type, entity, attribute).
      await db.schema
        .createTable('attributes')
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('entity', 'text', (c) => c.notNull())
        .addColumn('attribute', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('hlc', 'text', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('attributes_pk', ['type', 'entity', 'attribute'])
        .modifyEnd(sqlWithoutRowid)
        .execute()
      // No (type, attribute) index: only back-fills (at a schema change) would use it, while
      // every write would pay for it. They scan one type's registers via the primary key.
      await db.schema
        .createTable('outbox')
        .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('bundle', 'text', (c) => c.notNull().unique())
        .execute()
      await db.schema
        .createTable('sync_state')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute()
    },
  },
  // Bundles the server refused for good (see sync/rejected.ts). A discarded refusal keeps its
  // row, so `verify` knows never to queue that bundle again.
  '0002_rejected': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('rejected')
        .addColumn('bundle', 'text', (c) => c.primaryKey())
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('details', 'text')
        .addColumn('rejected_at', 'integer', (c) => c.notNull())
        .addColumn('discarded_at', 'integer')
        .execute()
    },
  },
  '0003_event_ranges': eventRanges,
  '0004_registers_by_seq': registersBySeq,
  '0005_client_from_hlc': clientFromHlc,
  '0006_known_events': knownEvents,
  '0007_parts': partsMigration,
  '0008_spaces': spacesMigration,
  '0009_unreadable': unreadableMigration,
  '0010_undo': undoMigration,
}

/** Brings the fixed tables to the latest version; throws `internal` with the cause on failure. */
export const migrate = async (db: Kysely<unknown>): Promise<void> => {
  if (await upToDate(db)) return
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'tidings_migration',
    migrationLockTableName: 'tidings_migration_lock',
  })
  const { error } = await migrator.migrateToLatest()
  if (error) throw new TidingsError('internal', 'local database migration failed', { cause: error })
}

/** Skips the migrator on the common path: every migration is already recorded. */
const upToDate = async (db: Kysely<unknown>): Promise<boolean> => {
  const table = await sql<{
    n: number
  }>`select count(*) as n from sqlite_master where name = 'tidings_migration'`.execute(db)
  if (table.rows[0]?.n !== 1) return false
  const done = await sql<{ name: string }>`select name from tidings_migration`.execute(db)
  const names = new Set(done.rows.map((r) => r.name))
  return Object.keys(migrations).every((name) => names.has(name))
}
