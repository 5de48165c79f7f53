import type { Kysely, Migration } from 'kysely'

/**
 * Migration `0006_parts`: transactions too big for one bundle (see `parts.ts`).
 * `bundle_parts` keeps the part marker of every stored bundle that is one part of such a
 * transaction (pushes send it beside the bundle). `held_parts` keeps pulled parts, whole, until
 * every part of their transaction is here; they are in neither the log nor the state until
 * then. Frozen once shipped.
 */
export const partsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('bundle_parts')
      .addColumn('bundle', 'text', (c) => c.primaryKey())
      .addColumn('grp', 'text', (c) => c.notNull())
      .addColumn('idx', 'integer', (c) => c.notNull())
      .addColumn('cnt', 'integer', (c) => c.notNull())
      .execute()
    await db.schema
      .createTable('held_parts')
      .addColumn('bundle', 'text', (c) => c.primaryKey())
      .addColumn('grp', 'text', (c) => c.notNull())
      .addColumn('idx', 'integer', (c) => c.notNull())
      .addColumn('cnt', 'integer', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex('held_parts_group')
      .on('held_parts')
      .columns(['grp', 'idx'])
      .execute()
  },
}
