import type { Kysely, Migration } from 'kysely'

/**
 * Migration `0010_undo`: the undo and redo stacks of this device's local transactions (see
 * `undo-stack.ts`). One row per entry: which stack it is on, the order on it (`seq`, the top is
 * the greatest), the space its transaction wrote (NULL: private; a lost space drops its
 * entries) and its changes as JSON. Frozen once shipped.
 */
export const undoMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('undo_entries')
      .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('stack', 'text', (c) => c.notNull())
      .addColumn('space', 'text')
      .addColumn('changes', 'text', (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex('undo_entries_stack')
      .on('undo_entries')
      .columns(['stack', 'seq'])
      .execute()
  },
}
