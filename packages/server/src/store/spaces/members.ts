import { type Member, type Role, type Space, TidingsError } from '@tidings/protocol'
import type { Kysely } from 'kysely'
import { type Family, isUniqueViolation } from '../dialects/family.js'
import { appendFeed } from '../feed.js'
import type { Database } from '../schema.js'
import {
  assertOwner,
  isPrivateSpace,
  lastOwner,
  notMember,
  notOwner,
  ownerCount,
  privateSpaceRefusal,
  type Queries,
  RANK,
  roleIn,
  storedRole,
} from './guard.js'
import { lockSpace } from './lock.js'

/** The name `listSpaces` gives a user's private space; apps may show their own words. */
export const PRIVATE_SPACE_NAME = 'Private'

/** Creates a shared space, its stream (whose row is its lock) and its first owner. */
export const createSpace = async (
  db: Kysely<Database>,
  family: Family,
  input: { id: string; name: string; owner: string; now: number },
): Promise<Space> => {
  const { id, name, owner, now } = input
  try {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('streams').values({ stream: id, last_seq: 0 }).execute()
      await trx
        .insertInto('spaces')
        .values({ id, name, created_by: owner, created_at: now })
        .execute()
      await trx
        .insertInto('members')
        .values({ space: id, user_id: owner, role: 'owner', changed_at: now })
        .execute()
      await appendFeed(trx, family, [owner], {
        space: id,
        kind: 'join',
        from: 1,
        to: 0,
        role: 'owner',
        at: now,
      })
    })
  } catch (err) {
    if (isUniqueViolation(err))
      throw new TidingsError('conflict', `space ${id} already exists`, { cause: err })
    throw err
  }
  return { id, name, role: 'owner' }
}

/**
 * The user's spaces: its private space first (`private: true`, id = the user's id, always
 * listed, so a client learns its id from here too), then its shared spaces by name.
 */
export const listSpaces = async (db: Queries, user: string): Promise<Space[]> => {
  const rows = await db
    .selectFrom('members')
    .innerJoin('spaces', 'spaces.id', 'members.space')
    .select(['spaces.id', 'spaces.name', 'members.role'])
    .where('members.user_id', '=', user)
    .where('members.role', 'is not', null)
    .orderBy('spaces.name')
    .orderBy('spaces.id')
    .execute()
  const shared = rows.map((r) => ({ id: r.id, name: r.name, role: storedRole(r.role) as Role }))
  return [{ id: user, name: PRIVATE_SPACE_NAME, role: 'owner', private: true }, ...shared]
}

/** The space a member sees, with its role, or undefined when no such shared space. */
export const spaceOf = async (
  db: Queries,
  space: string,
  role: Role,
): Promise<Space | undefined> => {
  const row = await db
    .selectFrom('spaces')
    .select(['id', 'name'])
    .where('id', '=', space)
    .executeTakeFirst()
  return row && { id: row.id, name: row.name, role }
}

/** Owners first, then writers, then readers; by name within a role. */
export const listMembers = async (
  db: Queries,
  space: string,
  caller: string,
): Promise<Member[]> => {
  if (isPrivateSpace(space, caller)) {
    const me = await db
      .selectFrom('users')
      .select('name')
      .where('id', '=', caller)
      .executeTakeFirst()
    if (!me) throw notMember(space)
    return [{ user: caller, name: me.name, role: 'owner' }]
  }
  if ((await roleIn(db, space, caller)) === null) throw notMember(space)
  const rows = await db
    .selectFrom('members')
    .innerJoin('users', 'users.id', 'members.user_id')
    .select(['members.user_id', 'users.name', 'members.role'])
    .where('members.space', '=', space)
    .where('members.role', 'is not', null)
    .execute()
  return rows
    .map((r) => ({ user: r.user_id, name: r.name, role: storedRole(r.role) as Role }))
    .sort((a, b) => RANK[b.role] - RANK[a.role] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/**
 * Changes an existing member's role (joining is by invite only). Owner only; the last owner
 * cannot be demoted. The member's feed says so (`role`), unless nothing changed.
 */
export const setRole = async (
  db: Kysely<Database>,
  family: Family,
  input: { space: string; caller: string; user: string; role: Role; now: number },
): Promise<Member> => {
  const { space, caller, user, role, now } = input
  if (isPrivateSpace(space, caller)) throw privateSpaceRefusal('its members cannot change')
  return db.transaction().execute(async (trx) => {
    await lockSpace(trx, family, space)
    await assertOwner(trx, space, caller)
    const member = await trx
      .selectFrom('members')
      .innerJoin('users', 'users.id', 'members.user_id')
      .select(['users.name', 'members.role'])
      .where('members.space', '=', space)
      .where('members.user_id', '=', user)
      .where('members.role', 'is not', null)
      .executeTakeFirst()
    if (!member) throw new TidingsError('not_found', `user ${user} is not a member of ${space}`)
    const before = storedRole(member.role)
    if (before === role) return { user, name: member.name, role }
    if (before === 'owner' && (await ownerCount(trx, space)) <= 1) throw lastOwner(space)
    await trx
      .updateTable('members')
      .set({ role, changed_at: now })
      .where('space', '=', space)
      .where('user_id', '=', user)
      .execute()
    await appendFeed(trx, family, [user], { space, kind: 'role', from: 0, to: 0, role, at: now })
    return { user, name: member.name, role }
  })
}

/**
 * Removes a member: an owner removes anyone, any member removes itself (leaves). The last owner
 * stays. The member row keeps `role` null, and the removed user's feed gets `leave` at the
 * space's head: it receives nothing of the space after it.
 */
export const removeMember = async (
  db: Kysely<Database>,
  family: Family,
  input: { space: string; caller: string; user: string; now: number },
): Promise<void> => {
  const { space, caller, user, now } = input
  if (isPrivateSpace(space, caller)) throw privateSpaceRefusal('it cannot be left')
  await db.transaction().execute(async (trx) => {
    const head = await lockSpace(trx, family, space)
    const callerRole = await roleIn(trx, space, caller)
    if (caller === user ? callerRole === null : callerRole !== 'owner')
      throw caller === user ? notMember(space) : notOwner(space)
    const role = caller === user ? callerRole : await roleIn(trx, space, user)
    if (role === null)
      throw new TidingsError('not_found', `user ${user} is not a member of ${space}`)
    if (role === 'owner' && (await ownerCount(trx, space)) <= 1) throw lastOwner(space)
    await trx
      .updateTable('members')
      .set({ role: null, changed_at: now })
      .where('space', '=', space)
      .where('user_id', '=', user)
      .execute()
    const at = head ?? 0
    await appendFeed(trx, family, [user], {
      space,
      kind: 'leave',
      from: at,
      to: at,
      role: null,
      at: now,
    })
  })
}
