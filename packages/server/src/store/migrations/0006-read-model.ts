import { type Kysely, type Migration, sql } from 'kysely'
import type { Family } from '../dialects/family.js'

// biome-ignore lint/suspicious/noExplicitAny: migrations run against an untyped handle on purpose
type Db = Kysely<any>

/**
 * The generic read model (see `read-model/README` in the server package): current state per
 * space, kept by the projector from the bundles log, for an app's backend to query in SQL.
 *
 * - `read_model_registers`: one row per `(space, type, id, attribute)` with the winning write's
 *   value (JSON text, verbatim), HLC and event id, moved only by a greater `(hlc, event)` as
 *   `wins()` decides on every client.
 * - `read_model_entities`: one row per entity, `data` the object of its non-null attributes
 *   (`json` on Postgres, not `jsonb`: jsonb refuses `\u0000` in strings, which clients accept;
 *   cast `data::jsonb` for jsonb operators), `deleted` the tombstone.
 * - `read_model_checkpoints`: per space, the stream position projected so far.
 * - `read_model_meta`: what the typed tables were made from (the app schema's signature), so a
 *   server started with another schema makes them again from the registers.
 */
export const readModel = (family: Family): Migration => {
  const text = family === 'postgres' ? sql`text collate "C"` : sql`text`
  const json = family === 'postgres' ? sql`json` : sql`text`
  const bool = family === 'postgres' ? sql`boolean` : sql`integer`
  return {
    async up(db: Db) {
      await db.schema
        .createTable('read_model_registers')
        .addColumn('space', text, (c) => c.notNull())
        .addColumn('type', text, (c) => c.notNull())
        .addColumn('id', text, (c) => c.notNull())
        .addColumn('attribute', text, (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('hlc', text, (c) => c.notNull())
        .addColumn('event', text, (c) => c.notNull())
        .addPrimaryKeyConstraint('read_model_registers_pk', ['space', 'type', 'id', 'attribute'])
        .execute()
      await db.schema
        .createTable('read_model_entities')
        .addColumn('space', text, (c) => c.notNull())
        .addColumn('type', text, (c) => c.notNull())
        .addColumn('id', text, (c) => c.notNull())
        .addColumn('data', json, (c) => c.notNull())
        .addColumn('deleted', bool, (c) => c.notNull())
        .addColumn('hlc', text, (c) => c.notNull())
        .addPrimaryKeyConstraint('read_model_entities_pk', ['space', 'type', 'id'])
        .execute()
      await db.schema
        .createIndex('read_model_entities_type')
        .on('read_model_entities')
        .columns(['type', 'space'])
        .execute()
      await db.schema
        .createTable('read_model_checkpoints')
        .addColumn('space', text, (c) => c.primaryKey())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('read_model_meta')
        .addColumn('key', text, (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute()
    },
    async down(db: Db) {
      for (const table of [
        'read_model_meta',
        'read_model_checkpoints',
        'read_model_entities',
        'read_model_registers',
      ])
        await db.schema.dropTable(table).execute()
    },
  }
}
