import { type Invite, type Role, type Space, TidingsError } from '@tidings/protocol'
import { type Kysely, sql } from 'kysely'
import type { Family } from '../dialects/family.js'
import { appendFeed } from '../feed.js'
import type { Database, InviteTable } from '../schema.js'
import type { NewInvite } from '../store.js'
import {
  assertOwner,
  isPrivateSpace,
  privateSpaceRefusal,
  type Queries,
  RANK,
  roleIn,
  storedRole,
} from './guard.js'
import { lockSpace } from './lock.js'
import { spaceOf } from './members.js'

type InviteRow = Pick<
  InviteTable,
  'id' | 'role' | 'expires_at' | 'max_uses' | 'uses' | 'created_at' | 'revoked_at'
>

const inviteOf = (row: InviteRow): Invite => ({
  id: row.id,
  role: storedRole(row.role) as Role,
  ...(row.expires_at !== null && { expiresAt: Number(row.expires_at) }),
  ...(row.max_uses !== null && { maxUses: Number(row.max_uses) }),
  uses: Number(row.uses),
  createdAt: Number(row.created_at),
})

/** Owner only, and never for a private space. The code's hash only is stored. */
export const createInvite = async (
  db: Kysely<Database>,
  family: Family,
  input: NewInvite,
): Promise<Invite> => {
  const { id, space, caller, codeHash, role, now } = input
  if (isPrivateSpace(space, caller)) throw privateSpaceRefusal('it takes no invites')
  const row = {
    id,
    space,
    code_hash: codeHash,
    role,
    expires_at: input.expiresAt ?? null,
    max_uses: input.maxUses ?? null,
    uses: 0,
    created_by: caller,
    created_at: now,
    revoked_at: null,
  }
  // Under the space's lock: an owner demoted a moment ago creates nothing.
  await db.transaction().execute(async (trx) => {
    await lockSpace(trx, family, space)
    await assertOwner(trx, space, caller)
    await trx.insertInto('invites').values(row).execute()
  })
  return inviteOf(row)
}

/** Owner only: the space's invites not revoked (expired and used-up ones too), oldest first. */
export const listInvites = async (
  db: Queries,
  space: string,
  caller: string,
): Promise<Invite[]> => {
  if (isPrivateSpace(space, caller)) throw privateSpaceRefusal('it has no invites')
  await assertOwner(db, space, caller)
  const rows = await db
    .selectFrom('invites')
    .select(['id', 'role', 'expires_at', 'max_uses', 'uses', 'created_at', 'revoked_at'])
    .where('space', '=', space)
    .where('revoked_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  return rows.map(inviteOf)
}

/** Owner only. Revoking an invite twice is fine; one of another space is `not_found`. */
export const revokeInvite = async (
  db: Kysely<Database>,
  family: Family,
  input: { space: string; caller: string; invite: string; now: number },
): Promise<void> => {
  const { space, caller, invite, now } = input
  if (isPrivateSpace(space, caller)) throw privateSpaceRefusal('it has no invites')
  await db.transaction().execute(async (trx) => {
    await lockSpace(trx, family, space)
    await assertOwner(trx, space, caller)
    const found = await trx
      .selectFrom('invites')
      .select('revoked_at')
      .where('id', '=', invite)
      .where('space', '=', space)
      .executeTakeFirst()
    if (!found) throw new TidingsError('not_found', `no invite ${invite} in space ${space}`)
    if (found.revoked_at === null)
      await trx.updateTable('invites').set({ revoked_at: now }).where('id', '=', invite).execute()
  })
}

/** Why an invite gives nothing any more (`gone`, 410): the caller asks its owner for another. */
const goneReason = (row: InviteRow, now: number): string => {
  if (row.revoked_at !== null) return 'was revoked'
  if (row.expires_at !== null && Number(row.expires_at) <= now) return 'has expired'
  return 'is used up'
}

/**
 * Joins the invite's space, in one transaction under the space's lock: one conditional update
 * takes a use (not revoked, not expired, uses < max), so two racing accepts of the last use
 * give one success. A member whose role is as high already keeps it and uses nothing (so a
 * retried accept whose answer was lost succeeds again); a lower role is raised. A new (or
 * returning) member's feed gets `join` up to the space's head: the whole history is theirs.
 */
export const acceptInvite = async (
  db: Kysely<Database>,
  family: Family,
  input: { codeHash: string; user: string; now: number },
): Promise<Space> => {
  const { codeHash, user, now } = input
  const found = await db
    .selectFrom('invites')
    .select('space')
    .where('code_hash', '=', codeHash)
    .executeTakeFirst()
  if (!found) throw new TidingsError('not_found', 'no such invite code: check it was copied whole')
  const space = found.space
  return db.transaction().execute(async (trx) => {
    const head = (await lockSpace(trx, family, space)) ?? 0
    const invite = await trx
      .selectFrom('invites')
      .select(['id', 'role', 'expires_at', 'max_uses', 'uses', 'created_at', 'revoked_at'])
      .where('code_hash', '=', codeHash)
      .executeTakeFirstOrThrow()
    const granted = storedRole(invite.role) as Role
    const before = await roleIn(trx, space, user)
    const shown = (role: Role) => spaceOf(trx, space, role).then((s) => s ?? missing(space))
    if (before !== null && RANK[before] >= RANK[granted]) return shown(before)
    const taken = await trx
      .updateTable('invites')
      .set({ uses: sql`uses + 1` })
      .where('id', '=', invite.id)
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .where((eb) => eb.or([eb('max_uses', 'is', null), eb('uses', '<', eb.ref('max_uses'))]))
      .executeTakeFirst()
    if (Number(taken.numUpdatedRows) === 0)
      throw new TidingsError('gone', `this invite ${goneReason(invite, now)}: ask for a new one`)
    await trx
      .insertInto('members')
      .values({ space, user_id: user, role: granted, changed_at: now })
      .onConflict((oc) =>
        oc.columns(['space', 'user_id']).doUpdateSet({ role: granted, changed_at: now }),
      )
      .execute()
    await appendFeed(trx, family, [user], {
      space,
      kind: before === null ? 'join' : 'role',
      from: before === null ? 1 : 0,
      to: before === null ? head : 0,
      role: granted,
      at: now,
    })
    return shown(granted)
  })
}

const missing = (space: string): never => {
  throw new TidingsError('internal', `space ${space} has an invite but no row`)
}
