import { type Kysely, type Migration, sql } from 'kysely'

/**
 * Migration `0004_registers_by_seq`: a register (`attributes` row) keeps only the `seq` of its
 * winning event instead of a copy of that event's value, HLC and id. Those three are ~140 of
 * the register's ~190 bytes and were written twice per event (log and register); every bulk
 * write and pull paid for them in b-tree work and in pages written at commit and checkpoint.
 * The value and the LWW key (hlc, id) are read from the log by `seq` (its primary key) where
 * needed: when two events compete for one register, at back-fill, rebuild and dump.
 *
 * Frozen once shipped, like every migration.
 */
export const registersBySeq: Migration = {
  async up(db: Kysely<unknown>) {
    // Kysely runs SQLite migrations outside a transaction: this one makes its own, and a
    // database that committed it but crashed before the migration was recorded is left alone.
    const columns = await sql<{ name: string }>`pragma table_info(attributes)`.execute(db)
    if (columns.rows.some((c) => c.name === 'seq')) return
    await db.transaction().execute(async (trx) => {
      await sql`alter table attributes rename to attributes_0001`.execute(trx)
      await trx.schema
        .createTable('attributes')
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('entity', 'text', (c) => c.notNull())
        .addColumn('attribute', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('registers_pk', ['type', 'entity', 'attribute'])
        .modifyEnd(sql`without rowid`)
        .execute()
      // Every register's event is in the log (registers are derived from it): found by id.
      await sql`insert into attributes (type, entity, attribute, seq)
        select a.type, a.entity, a.attribute, e.seq from attributes_0001 a join events e on e.id = a.event`.execute(
        trx,
      )
      await trx.schema.dropTable('attributes_0001').execute()
    })
  },
}
