import type { Kysely, Migration } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: migrations run against an untyped handle on purpose
type Db = Kysely<any>

/**
 * Users signed in by an app's own identity provider (a JWT): `(issuer, subject)` names one
 * user row, created on first sight. A separate table rather than columns on `users`, so CLI
 * users and their token hashes stay exactly as they were, and a user row is the one place that
 * owns streams and clients whichever way its caller signs in.
 */
export const identities: Migration = {
  async up(db: Db) {
    await db.schema
      .createTable('identities')
      .addColumn('issuer', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull().unique().references('users.id'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('identities_pk', ['issuer', 'subject'])
      .execute()
  },
  async down(db: Db) {
    await db.schema.dropTable('identities').execute()
  },
}
