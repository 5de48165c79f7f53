import { type Role, roleSchema, TidingsError } from '@tidings/protocol'
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../schema.js'

/** Anything that runs queries: the database or a transaction on it. */
export type Queries = Kysely<Database> | Transaction<Database>

/** Higher ranks may do more; `owner` > `writer` > `reader`. */
export const RANK: Record<Role, number> = { owner: 3, writer: 2, reader: 1 }

/** A private space's id is its user's id (DESIGN §8): it has no `spaces` or `members` row. */
export const isPrivateSpace = (space: string, user: string): boolean => space === user

/** A stored role, read back (null: removed, or never a member). */
export const storedRole = (value: string | null | undefined): Role | null =>
  value === null || value === undefined ? null : roleSchema.parse(value)

/**
 * The user's role in a space now: `owner` of its own private space, the member row's role in a
 * shared one, null otherwise (removed, never a member, no such space). Read it after taking
 * the space's lock (`lockSpace`) when a decision rides on it: roles are never cached.
 */
export const roleIn = async (db: Queries, space: string, user: string): Promise<Role | null> => {
  if (isPrivateSpace(space, user)) return 'owner'
  const row = await db
    .selectFrom('members')
    .select('role')
    .where('space', '=', space)
    .where('user_id', '=', user)
    .executeTakeFirst()
  return storedRole(row?.role)
}

/** How many owners a shared space has now. */
export const ownerCount = async (db: Queries, space: string): Promise<number> => {
  const row = await db
    .selectFrom('members')
    .select((eb) => eb.fn.countAll<number | string>().as('owners'))
    .where('space', '=', space)
    .where('role', '=', 'owner')
    .executeTakeFirstOrThrow()
  return Number(row.owners)
}

/**
 * The one refusal of a caller who may not manage a space: whether the space exists or the caller
 * is in it at all is not said (the same answer for a space that does not exist).
 */
export const notOwner = (space: string): TidingsError =>
  new TidingsError(
    'forbidden',
    `only an owner of space ${space} may manage its members and invites`,
  )

/** A space the caller is not a member of reads as absent (no existence leak). */
export const notMember = (space: string): TidingsError =>
  new TidingsError('not_found', `no space ${space} you are a member of`)

export const privateSpaceRefusal = (what: string): TidingsError =>
  new TidingsError('forbidden', `the private space cannot be shared: ${what}`)

export const lastOwner = (space: string): TidingsError =>
  new TidingsError(
    'last_owner',
    `space ${space} would be left without an owner: make another member owner first`,
  )

/** Throws `forbidden` unless `caller` owns the shared space `space` now. */
export const assertOwner = async (db: Queries, space: string, caller: string): Promise<void> => {
  if ((await roleIn(db, space, caller)) !== 'owner') throw notOwner(space)
}
