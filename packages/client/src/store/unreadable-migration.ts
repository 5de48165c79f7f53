import type { Kysely, Migration } from 'kysely'

/**
 * Migration `0009_unreadable`: the values this device's schema cannot read, a register whose
 * winning value is of another kind than the attribute declares (written by another app
 * version) and that no declared conversion turns into one. The value stays in the log; its
 * typed column is NULL (the read shows it absent, or the default), and it is listed here for
 * `unreadable()` and the status. One row per (type, entity, attribute): the attribute's
 * current winner, nothing older. Frozen once shipped.
 */
export const unreadableMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('unreadable')
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('entity', 'text', (c) => c.notNull())
      .addColumn('attribute', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('unreadable_pk', ['type', 'entity', 'attribute'])
      .execute()
  },
}
