import type { Kysely, Migration } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: migrations run against an untyped handle on purpose
type Db = Kysely<any>

/**
 * A bundle that is one part of a transaction too big for one bundle keeps its part marker
 * (`{"group","index","count"}` as JSON text; null for the usual whole transaction), so every
 * puller can hold the parts aside until the whole transaction is there.
 */
export const bundlePart: Migration = {
  async up(db: Db) {
    await db.schema.alterTable('bundles').addColumn('part', 'text').execute()
  },
  async down(db: Db) {
    await db.schema.alterTable('bundles').dropColumn('part').execute()
  },
}
