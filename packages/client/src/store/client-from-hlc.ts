import { type Kysely, type Migration, sql } from 'kysely'

/**
 * Migration `0005_client_from_hlc`: the log stops storing each event's `client`. The wire
 * contract makes it the node id at the end of the event's HLC (`…Z-0001-<client>`, from
 * character 31; a pulled event whose HLC another client issued is refused before it reaches
 * the store, and local events are stamped by this client's clock), so it becomes a virtual
 * generated column: read as before, never written. It was 36 of the ~250 bytes of every log
 * row, paid in b-tree work and in pages written at commit and checkpoint.
 *
 * `seq` values are kept (bundles' event ranges point at them). Frozen once shipped.
 */
export const clientFromHlc: Migration = {
  async up(db: Kysely<unknown>) {
    // Kysely runs SQLite migrations outside a transaction: this one makes its own, and a
    // database that committed it but crashed before the migration was recorded is left alone.
    const columns = await sql<{ name: string; hidden: number }>`pragma table_xinfo(events)`.execute(
      db,
    )
    if (columns.rows.some((c) => c.name === 'client' && c.hidden !== 0)) return
    await db.transaction().execute(async (trx) => {
      await sql`alter table events rename to events_0003`.execute(trx)
      await trx.schema
        .createTable('events')
        .addColumn('seq', 'integer', (c) => c.primaryKey())
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('entity', 'text', (c) => c.notNull())
        .addColumn('attribute', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('hlc', 'text', (c) => c.notNull())
        .addColumn('client', 'text', (c) => c.generatedAlwaysAs(sql`substr(hlc, 31)`))
        .execute()
      await sql`insert into events (seq, id, type, entity, attribute, value, hlc)
        select seq, id, type, entity, attribute, value, hlc from events_0003 order by seq`.execute(
        trx,
      )
      await trx.schema.dropTable('events_0003').execute()
    })
  },
}
