import { TidingsError } from '@tidings/protocol'
import type { Kysely } from 'kysely'
import type { Database } from '../schema.js'

/** A server-side writer as stored: whose it is, its client id, the last HLC it reserved. */
export interface WriterState {
  /** The user's id (the writer may be opened by the user's name). */
  user: string
  client: string
  /** Null before its first reservation. */
  lastHlc: string | null
}

/**
 * The writer `name` of `user` (a user name or id), created with `client` as its client id on
 * first use, or as it was: a restart keeps its client id. The client is registered to the user
 * like a device's. `not_found` for an unknown user, `unauthorized` for a revoked one.
 */
export const claimWriter = async (
  db: Kysely<Database>,
  input: { user: string; name: string; client: string; now: number },
): Promise<WriterState> => {
  const users = await db
    .selectFrom('users')
    .select(['id', 'revoked_at'])
    .where((eb) => eb.or([eb('id', '=', input.user), eb('name', '=', input.user)]))
    .execute()
  const user = users.find((u) => u.id === input.user) ?? users[0]
  if (!user) throw new TidingsError('not_found', `no user ${JSON.stringify(input.user)}`)
  if (user.revoked_at !== null)
    throw new TidingsError('unauthorized', `user ${JSON.stringify(input.user)} is revoked`, {
      details: { reason: 'user_revoked' },
    })
  await db
    .insertInto('writers')
    .values({
      user_id: user.id,
      name: input.name,
      client: input.client,
      last_hlc: '',
      created_at: input.now,
    })
    .onConflict((oc) => oc.columns(['user_id', 'name']).doNothing())
    .execute()
  const row = await db
    .selectFrom('writers')
    .select(['client', 'last_hlc'])
    .where('user_id', '=', user.id)
    .where('name', '=', input.name)
    .executeTakeFirstOrThrow()
  await db
    .insertInto('clients')
    .values({ id: row.client, user_id: user.id, created_at: input.now })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute()
  return { user: user.id, client: row.client, lastHlc: row.last_hlc === '' ? null : row.last_hlc }
}

/** What `advanceWriter` answers. */
export interface Reservation {
  reserved: boolean
  /** The writer's last reserved HLC now. */
  last: string
}

/**
 * Reserves every HLC up to `to` for the writer, if its last reservation is still `from` (a
 * compare-and-set: the range `(from, to]` is then this process's alone). Answers whether it
 * did, and the writer's last HLC afterwards (when not: what another process reserved meanwhile,
 * which may even equal `to`, when two processes' clocks read alike).
 */
export const advanceWriter = async (
  db: Kysely<Database>,
  input: { user: string; name: string; from: string | null; to: string },
): Promise<Reservation> => {
  const updated = await db
    .updateTable('writers')
    .set({ last_hlc: input.to })
    .where('user_id', '=', input.user)
    .where('name', '=', input.name)
    .where('last_hlc', '=', input.from ?? '')
    .executeTakeFirst()
  if (Number(updated.numUpdatedRows) === 1) return { reserved: true, last: input.to }
  const row = await db
    .selectFrom('writers')
    .select('last_hlc')
    .where('user_id', '=', input.user)
    .where('name', '=', input.name)
    .executeTakeFirst()
  if (!row) throw new TidingsError('not_found', `writer ${input.name} of ${input.user} is gone`)
  return { reserved: false, last: row.last_hlc }
}
