import type { Kysely, Migration } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: migrations run against an untyped handle on purpose
type Db = Kysely<any>

/**
 * A covering index for cutting pull pages by their event count. `event_count` sits after the
 * bundle's `events` text in the row, so in SQLite reading it walks that text's overflow pages:
 * a page query over 1,001 bundles of 1,000 events read ~200 MB to keep 10 of them, and an
 * initial sync of 1M events grew quadratic. With this index the cut reads index entries only.
 */
export const pageIndex: Migration = {
  async up(db: Db) {
    await db.schema
      .createIndex('bundles_page')
      .on('bundles')
      .columns(['stream', 'seq', 'client', 'event_count'])
      .execute()
  },
  async down(db: Db) {
    await db.schema.dropIndex('bundles_page').execute()
  },
}
