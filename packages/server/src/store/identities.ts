import type { Kysely } from 'kysely'
import { isUniqueViolation } from './dialects/family.js'
import type { Database } from './schema.js'
import type { NewIdentity, UserInfo } from './store.js'

const ms = (value: number | string | null): number | null => (value === null ? null : Number(value))

const find = async (db: Kysely<Database>, issuer: string, subject: string) => {
  const row = await db
    .selectFrom('identities')
    .innerJoin('users', 'users.id', 'identities.user_id')
    .select(['users.id', 'users.name', 'users.created_at', 'users.revoked_at'])
    .where('identities.issuer', '=', issuer)
    .where('identities.subject', '=', subject)
    .executeTakeFirst()
  return row
    ? {
        id: row.id,
        name: row.name,
        createdAt: Number(row.created_at),
        revokedAt: ms(row.revoked_at),
      }
    : undefined
}

/**
 * No token hashes to this (see `users.ts`): a user created for an identity has no server token
 * until an operator gives it one, and signs in with its provider's JWTs only.
 */
const noToken = (id: string): string => `no-token:${id}`

/**
 * The user `(issuer, subject)` names; on first sight one transaction creates the user row, its
 * stream (id = user id, as `createUser` does) and the identity. When two first sights race, the
 * loser's transaction fails on the identity's primary key and rolls back whole, and it reads the
 * winner's user instead: one identity is never two users.
 */
export const userOfIdentity = async (
  db: Kysely<Database>,
  identity: NewIdentity,
): Promise<UserInfo> => {
  const { issuer, subject, id, name, now } = identity
  const known = await find(db, issuer, subject)
  if (known) return known
  try {
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('users')
        .values({ id, name, token_hash: noToken(id), created_at: now, revoked_at: null })
        .execute()
      await trx.insertInto('streams').values({ stream: id, last_seq: 0 }).execute()
      await trx
        .insertInto('identities')
        .values({ issuer, subject, user_id: id, created_at: now })
        .execute()
    })
    return { id, name, createdAt: now, revokedAt: null }
  } catch (err) {
    const winner = isUniqueViolation(err) ? await find(db, issuer, subject) : undefined
    if (winner) return winner
    throw err
  }
}
