import { type Kysely, type Migration, sql } from 'kysely'

/**
 * Migration `0008_spaces` (DESIGN §8): each bundle's space (`bundles.space`, NULL = this user's
 * private space), each entity's space (`entity_spaces`, rows only for entities of shared spaces:
 * an entity absent from it is private, so the private hot path writes nothing more), the spaces
 * this device knows with its role in each (`spaces`), and a copy of a refused bundle's content
 * (`rejected.content`), kept when the bundle's own rows are dropped with a space the device
 * lost, so `rejected()` still reports every write it never delivered. Frozen once shipped.
 */
export const spacesMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('bundles').addColumn('space', 'text').execute()
    await db.schema.createIndex('bundles_space').on('bundles').column('space').execute()
    await db.schema
      .createTable('entity_spaces')
      .addColumn('entity', 'text', (c) => c.primaryKey())
      .addColumn('space', 'text', (c) => c.notNull())
      .modifyEnd(sql`without rowid`)
      .execute()
    await db.schema
      .createIndex('entity_spaces_space')
      .on('entity_spaces')
      .columns(['space', 'entity'])
      .execute()
    await db.schema
      .createTable('spaces')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('private', 'integer', (c) => c.notNull().defaultTo(0))
      .execute()
    await db.schema.alterTable('rejected').addColumn('content', 'text').execute()
  },
}
