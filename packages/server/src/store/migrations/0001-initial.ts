import { type Kysely, type Migration, sql } from 'kysely'
import type { Family } from '../dialects/family.js'

/**
 * The first schema. Frozen: never edit it once shipped; add a new migration instead.
 * Text compared as text (HLCs, ids) uses bytewise order: `COLLATE "C"` in Postgres,
 * SQLite's default BINARY collation.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run against an untyped handle on purpose
type Db = Kysely<any>

export const initial = (family: Family): Migration => {
  const text = family === 'postgres' ? sql`text collate "C"` : sql`text`
  return {
    async up(db: Db) {
      await db.schema
        .createTable('users')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('name', text, (c) => c.notNull().unique())
        .addColumn('token_hash', text, (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute()
      await db.schema
        .createTable('clients')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('user_id', text, (c) => c.notNull().references('users.id'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('streams')
        .addColumn('stream', text, (c) => c.primaryKey())
        .addColumn('last_seq', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('bundles')
        .addColumn('stream', text, (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('id', text, (c) => c.notNull())
        .addColumn('client', text, (c) => c.notNull())
        .addColumn('hlc', text, (c) => c.notNull())
        .addColumn('events', 'text', (c) => c.notNull())
        .addColumn('event_count', 'integer', (c) => c.notNull())
        .addColumn('hash', text, (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('bundles_pk', ['stream', 'seq'])
        .addUniqueConstraint('bundles_stream_id', ['stream', 'id'])
        .execute()
      await db.schema
        .createTable('events')
        .addColumn('stream', text, (c) => c.notNull())
        .addColumn('id', text, (c) => c.notNull())
        .addColumn('bundle_id', text, (c) => c.notNull())
        .addColumn('hash', text, (c) => c.notNull())
        .addPrimaryKeyConstraint('events_pk', ['stream', 'id'])
        .execute()
    },
    async down(db: Db) {
      for (const table of ['events', 'bundles', 'streams', 'clients', 'users'])
        await db.schema.dropTable(table).execute()
    },
  }
}
