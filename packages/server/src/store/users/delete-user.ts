import { type Role, TidingsError } from '@tidings/protocol'
import { type Kysely, sql, type Transaction } from 'kysely'
import type { Family } from '../dialects/family.js'
import type { Database } from '../schema.js'
import { lockSpaces } from '../spaces/lock.js'

/** The token hash of a user without a server token (imported, or an identity provider's). */
const NO_TOKEN = 'no-token:'

/** A shared space as a user deletion treats it. */
export interface DeletionSpace {
  id: string
  name: string
  /** The deleted user's role in it. */
  role: Role
  /** Bundles the space holds: all deleted with it, or those the user pushed, kept. */
  bundles: number
}

/**
 * What deleting a user removes (or, before `--yes`, would remove). Bundles the user pushed into
 * a space that others still use stay: they are that space's history, which its other members
 * hold on their devices already, and may have built on (`keptBundles` counts them).
 */
export interface UserDeletion {
  user: { id: string; name: string }
  /** Bundles of its private space, deleted. */
  bundles: number
  /** Devices registered to it, deleted: their ids can never sync again. */
  clients: number
  /** Its server token (1) or none (0: a user of an identity provider, or revoked). */
  tokens: number
  /** Identity provider sign-ins naming it (`issuer`, `subject`), deleted. */
  identities: number
  /** Shared spaces it was the only member of: deleted, with their bundles and invites. */
  spaces: DeletionSpace[]
  /** Shared spaces others still use: it leaves them; `bundles` counts its own, which stay. */
  memberships: DeletionSpace[]
  /** Invites it made into spaces that stay, deleted (a deleted user grants nothing). */
  invites: number
  /** Bundles it pushed into spaces that stay (the sum of `memberships[].bundles`). */
  keptBundles: number
}

/**
 * Deletes a user (by name or id) and everything only it holds, in one transaction, or with
 * `apply: false` answers what that would delete and deletes nothing. Refuses (`last_owner`,
 * nothing deleted) while it is the only owner of a space other members still use: removing it
 * would leave them a space nobody manages, and deleting the space would take their shared data;
 * the operator makes another owner first, or removes the other members.
 *
 * Locks as a membership change does, spaces first in sorted order, then the private stream's
 * counter: a push racing the deletion lands before it (and is deleted with the rest) or after
 * it (and is refused, its token gone).
 */
export const deleteUser = async (
  db: Kysely<Database>,
  family: Family,
  input: { user: string; apply: boolean },
): Promise<UserDeletion> =>
  db.transaction().execute(async (trx) => {
    const user = await trx
      .selectFrom('users')
      .select(['id', 'name', 'token_hash', 'revoked_at'])
      .where((eb) => eb.or([eb('name', '=', input.user), eb('id', '=', input.user)]))
      .executeTakeFirst()
    if (!user) throw new TidingsError('not_found', `no user named ${JSON.stringify(input.user)}`)
    const joined = await spacesOf(trx, user.id)
    await lockSpaces(trx, family, joined)
    await sql`update streams set last_seq = last_seq where stream = ${user.id}`.execute(trx)
    const plan = await planDeletion(trx, user)
    if (input.apply) await applyDeletion(trx, plan)
    return plan
  })

const spacesOf = async (trx: Transaction<Database>, user: string): Promise<string[]> => {
  const rows = await trx
    .selectFrom('members')
    .select('space')
    .where('user_id', '=', user)
    .where('role', 'is not', null)
    .execute()
  return rows.map((r) => r.space)
}

/** `count(*) as n`, for any table. */
const COUNT = sql<number | string>`count(*)`.as('n')

/** Ids for an `in` list, never empty (an empty `in ()` is a syntax error on both dialects). */
const list = (ids: readonly string[]): string[] => (ids.length > 0 ? [...ids] : [''])

/** Reads, under the locks, what the deletion removes; throws `last_owner` when it may not. */
const planDeletion = async (
  trx: Transaction<Database>,
  user: { id: string; name: string; token_hash: string; revoked_at: number | string | null },
): Promise<UserDeletion> => {
  const mine = await trx
    .selectFrom('members')
    .innerJoin('spaces', 'spaces.id', 'members.space')
    .select(['spaces.id', 'spaces.name', 'members.role'])
    .where('members.user_id', '=', user.id)
    .where('members.role', 'is not', null)
    .orderBy('spaces.name')
    .orderBy('spaces.id')
    .execute()
  const others = await trx
    .selectFrom('members')
    .select(['space', 'role'])
    .where('space', 'in', list(mine.map((s) => s.id)))
    .where('user_id', '!=', user.id)
    .where('role', 'is not', null)
    .execute()
  const clients = (
    await trx.selectFrom('clients').select('id').where('user_id', '=', user.id).execute()
  ).map((c) => c.id)
  const spaces: DeletionSpace[] = []
  const memberships: DeletionSpace[] = []
  const orphaned: string[] = []
  for (const space of mine) {
    const rest = others.filter((m) => m.space === space.id)
    const role = space.role as Role
    if (rest.length > 0 && role === 'owner' && !rest.some((m) => m.role === 'owner'))
      orphaned.push(`${space.name} (${space.id})`)
    const alone = rest.length === 0
    let bundles = trx.selectFrom('bundles').select(COUNT).where('stream', '=', space.id)
    if (!alone) bundles = bundles.where('client', 'in', list(clients))
    const { n } = await bundles.executeTakeFirstOrThrow()
    ;(alone ? spaces : memberships).push({
      id: space.id,
      name: space.name,
      role,
      bundles: Number(n),
    })
  }
  if (orphaned.length > 0)
    throw new TidingsError(
      'last_owner',
      `${user.name} is the only owner of ${orphaned.join(', ')}, which other members still use: make another member an owner in the app, or remove the other members (tidings space remove SPACE USER --yes), then delete ${user.name}`,
      { details: { spaces: orphaned } },
    )
  const deleted = spaces.map((s) => s.id)
  return {
    user: { id: user.id, name: user.name },
    bundles: Number(
      (
        await trx
          .selectFrom('bundles')
          .select(COUNT)
          .where('stream', '=', user.id)
          .executeTakeFirstOrThrow()
      ).n,
    ),
    clients: clients.length,
    tokens: user.revoked_at === null && !user.token_hash.startsWith(NO_TOKEN) ? 1 : 0,
    identities: Number(
      (
        await trx
          .selectFrom('identities')
          .select(COUNT)
          .where('user_id', '=', user.id)
          .executeTakeFirstOrThrow()
      ).n,
    ),
    spaces,
    memberships,
    invites: Number(
      (
        await trx
          .selectFrom('invites')
          .select(COUNT)
          .where('created_by', '=', user.id)
          .where('space', 'not in', list(deleted))
          .executeTakeFirstOrThrow()
      ).n,
    ),
    keptBundles: memberships.reduce((sum, s) => sum + s.bundles, 0),
  }
}

/** Deletes what `plan` lists, children before the rows they name. */
const applyDeletion = async (trx: Transaction<Database>, plan: UserDeletion): Promise<void> => {
  const id = plan.user.id
  const streams = [id, ...plan.spaces.map((s) => s.id)]
  const spaces = streams.slice(1)
  await trx.deleteFrom('events').where('stream', 'in', streams).execute()
  await trx.deleteFrom('bundles').where('stream', 'in', streams).execute()
  await trx.deleteFrom('streams').where('stream', 'in', streams).execute()
  await trx.deleteFrom('horizons').where('stream', 'in', streams).execute()
  if (spaces.length > 0) {
    await trx.deleteFrom('entities').where('space', 'in', spaces).execute()
    await trx.deleteFrom('invites').where('space', 'in', spaces).execute()
    await trx.deleteFrom('members').where('space', 'in', spaces).execute()
    await trx.deleteFrom('spaces').where('id', 'in', spaces).execute()
  }
  await trx.deleteFrom('invites').where('created_by', '=', id).execute()
  await trx.deleteFrom('members').where('user_id', '=', id).execute()
  await trx.deleteFrom('feed').where('user_id', '=', id).execute()
  await trx.deleteFrom('feeds').where('user_id', '=', id).execute()
  await trx.deleteFrom('writers').where('user_id', '=', id).execute()
  await trx.deleteFrom('clients').where('user_id', '=', id).execute()
  await trx.deleteFrom('identities').where('user_id', '=', id).execute()
  await trx.deleteFrom('users').where('id', '=', id).execute()
}
