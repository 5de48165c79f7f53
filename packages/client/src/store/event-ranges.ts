import { type Kysely, type Migration, sql } from 'kysely'

/**
 * Migration `0003_event_ranges`: the log loses its `events(bundle, hlc)` index. Every event
 * write paid for that index (a third b-tree per event, about a quarter of the write cost),
 * while only loading one local bundle for a push reads it. Instead, events get an
 * `INTEGER PRIMARY KEY seq` given in bundle order, and each bundle keeps the `seq` range of its
 * events (`first_event`..`last_event`; empty when every event of it was already in the log).
 *
 * The rowid of a table without an `INTEGER PRIMARY KEY` may change at `VACUUM`, so the table is
 * rebuilt with an explicit one; its events are copied bundle by bundle, so each bundle's events
 * stay one contiguous range. Frozen once shipped, like every migration.
 */
export const eventRanges: Migration = {
  async up(db: Kysely<unknown>) {
    // Kysely runs SQLite migrations outside a transaction: this one makes its own, and a
    // database that committed it but crashed before the migration was recorded is left alone.
    const columns = await sql<{ name: string }>`pragma table_info(events)`.execute(db)
    if (columns.rows.some((c) => c.name === 'seq')) return
    await db.transaction().execute(async (trx) => {
      await sql`alter table events rename to events_0001`.execute(trx)
      await trx.schema
        .createTable('events')
        .addColumn('seq', 'integer', (c) => c.primaryKey())
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('entity', 'text', (c) => c.notNull())
        .addColumn('attribute', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('hlc', 'text', (c) => c.notNull())
        .addColumn('client', 'text', (c) => c.notNull())
        .execute()
      await sql`insert into events (id, type, entity, attribute, value, hlc, client)
        select id, type, entity, attribute, value, hlc, client from events_0001 order by bundle, hlc`.execute(
        trx,
      )
      for (const [column, empty] of [
        ['first_event', 1],
        ['last_event', 0],
      ] as const)
        await trx.schema
          .alterTable('bundles')
          .addColumn(column, 'integer', (c) => c.notNull().defaultTo(empty))
          .execute()
      // Through the old (bundle, hlc) index and the new id index: no scan per bundle.
      await sql`update bundles set (first_event, last_event) = (
          select min(e.seq), max(e.seq) from events_0001 o join events e on e.id = o.id
          where o.bundle = bundles.id)
        where exists (select 1 from events_0001 o where o.bundle = bundles.id)`.execute(trx)
      await trx.schema.dropTable('events_0001').execute()
    })
  },
}
