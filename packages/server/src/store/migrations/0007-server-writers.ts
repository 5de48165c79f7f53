import type { Kysely, Migration } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: migrations run against an untyped handle on purpose
type Db = Kysely<any>

/**
 * Server-side writers (`openServerWriter`, `POST /v1/spaces/:space/writes`): a user's named
 * writer keeps one client id across restarts, and the last HLC it reserved, so no process ever
 * issues an HLC again (invariant 2). Processes sharing a writer reserve HLCs by compare-and-set
 * on `last_hlc` (see `writers.ts`), so several server nodes may write as one service user.
 */
export const serverWriters: Migration = {
  async up(db: Db) {
    await db.schema
      .createTable('writers')
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('client', 'text', (c) => c.notNull().unique())
      // Compared for equality only (compare-and-set), so no collation is needed.
      .addColumn('last_hlc', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('writers_pk', ['user_id', 'name'])
      .execute()
  },
  async down(db: Db) {
    await db.schema.dropTable('writers').execute()
  },
}
