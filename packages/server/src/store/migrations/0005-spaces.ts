import { type Kysely, type Migration, sql } from 'kysely'
import type { Family } from '../dialects/family.js'

// biome-ignore lint/suspicious/noExplicitAny: migrations run against an untyped handle on purpose
type Db = Kysely<any>

/**
 * Shared spaces (DESIGN §8). Every existing stream stays as it is: its key is its user's id,
 * which is that user's private space id, so no row moves. A private space has no `spaces` or
 * `members` row: it is implied by the user.
 *
 * - `members`: a removed member keeps its row with `role` null until it rejoins.
 * - `invites`: only the code's SHA-256 is stored.
 * - `feed`: per user, in commit order (positions from `feeds.last_pos`, bumped under that
 *   row's lock), what happened in the user's shared spaces: bundles pushed (`push`, positions
 *   `from_seq..to_seq` of the space), joined (`join`: the space's history up to `to_seq`),
 *   role changed (`role`), removed (`leave`). A sync reads the feed after its cursor, so its
 *   cost grows with what changed, never with how many spaces the user is in.
 * - `entities`: the space of every entity written in a shared space, so no bundle of another
 *   space can write it.
 * - `bundles_id`: bundle ids are unique across spaces.
 */
export const spaces = (family: Family): Migration => {
  const text = family === 'postgres' ? sql`text collate "C"` : sql`text`
  return {
    async up(db: Db) {
      await db.schema
        .createTable('spaces')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('members')
        .addColumn('space', text, (c) => c.notNull())
        .addColumn('user_id', text, (c) => c.notNull())
        .addColumn('role', 'text')
        .addColumn('changed_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('members_pk', ['space', 'user_id'])
        .execute()
      await db.schema
        .createIndex('members_user')
        .on('members')
        .columns(['user_id', 'space'])
        .execute()
      await db.schema
        .createTable('invites')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('space', text, (c) => c.notNull())
        .addColumn('code_hash', text, (c) => c.notNull().unique())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('max_uses', 'bigint')
        .addColumn('uses', 'bigint', (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute()
      await db.schema.createIndex('invites_space').on('invites').columns(['space']).execute()
      await db.schema
        .createTable('feeds')
        .addColumn('user_id', text, (c) => c.primaryKey())
        .addColumn('last_pos', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('feed')
        .addColumn('user_id', text, (c) => c.notNull())
        .addColumn('pos', 'bigint', (c) => c.notNull())
        .addColumn('space', text, (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('from_seq', 'bigint', (c) => c.notNull())
        .addColumn('to_seq', 'bigint', (c) => c.notNull())
        .addColumn('role', 'text')
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('feed_pk', ['user_id', 'pos'])
        .execute()
      await db.schema
        .createTable('entities')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('space', text, (c) => c.notNull())
        .execute()
      await db.schema.createIndex('bundles_id').on('bundles').columns(['id']).execute()
    },
    async down(db: Db) {
      await db.schema.dropIndex('bundles_id').execute()
      for (const table of ['entities', 'feed', 'feeds', 'invites', 'members', 'spaces'])
        await db.schema.dropTable(table).execute()
    },
  }
}
