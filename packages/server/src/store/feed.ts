import type { Role } from '@tidings/protocol'
import { sql, type Transaction } from 'kysely'
import type { Family } from './dialects/family.js'
import type { Database } from './schema.js'

/**
 * What a feed entry says happened in a shared space:
 * - `push`: bundles were stored at positions `from..to` of the space;
 * - `join`: the user became a member (or rejoined): the space's history `1..to` is theirs to
 *   read, their own bundles included;
 * - `role`: the user's role changed (no bundles);
 * - `leave`: the user was removed or left (no bundles; nothing of the space after it).
 */
export type FeedKind = 'push' | 'join' | 'role' | 'leave'

export interface FeedEntry {
  space: string
  kind: FeedKind
  from: number
  to: number
  /** The user's role after the entry; null for `leave` (and for `push`, where it is unused). */
  role: Role | null
  at: number
}

/** A feed entry as read back, at its position in the user's feed. */
export interface FeedRow extends FeedEntry {
  pos: number
}

/**
 * Appends one entry to the feed of each user, in the caller's transaction. Each user's counter
 * row is bumped first (taking its lock until commit), so a user's positions become visible in
 * order and a reader's feed cursor never passes an entry still to commit (invariant 4, per
 * user). Users are taken in sorted order, and callers take space locks before any feed lock,
 * so two transactions never wait on each other in a cycle. Two statements whatever the number
 * of users: a push into a space of 1,000 members costs two statements, not 2,000.
 */
export const appendFeed = async (
  trx: Transaction<Database>,
  family: Family,
  users: readonly string[],
  entry: FeedEntry,
): Promise<void> => {
  if (users.length === 0) return
  const sorted = [...new Set(users)].sort()
  const { space, kind, from, to, role, at } = entry
  if (family === 'postgres') {
    await sql`
      with bumped as (
        insert into feeds (user_id, last_pos)
        select u, 1 from unnest(${sorted}::text[]) as u order by u
        on conflict (user_id) do update set last_pos = feeds.last_pos + 1
        returning user_id, last_pos)
      insert into feed (user_id, pos, space, kind, from_seq, to_seq, role, at)
      select user_id, last_pos, ${space}, ${kind}, ${from}, ${to}, ${role}, ${at} from bumped`.execute(
      trx,
    )
    return
  }
  const json = JSON.stringify(sorted)
  const { rows } = await sql<{ user_id: string; last_pos: number }>`
    insert into feeds (user_id, last_pos)
    select value, 1 from json_each(${json}) where true
    on conflict (user_id) do update set last_pos = last_pos + 1
    returning user_id, last_pos`.execute(trx)
  await sql`
    insert into feed (user_id, pos, space, kind, from_seq, to_seq, role, at)
    select json_extract(value, '$[0]'), json_extract(value, '$[1]'),
      ${space}, ${kind}, ${from}, ${to}, ${role}, ${at}
    from json_each(${JSON.stringify(rows.map((r) => [r.user_id, Number(r.last_pos)]))})`.execute(
    trx,
  )
}

/** The entries of a user's feed after `after`, in order, at most `limit`. */
export const readFeed = async (
  db: Transaction<Database> | import('kysely').Kysely<Database>,
  user: string,
  after: number,
  limit: number,
): Promise<FeedRow[]> => {
  const rows = await db
    .selectFrom('feed')
    .select(['pos', 'space', 'kind', 'from_seq', 'to_seq', 'role', 'at'])
    .where('user_id', '=', user)
    .where('pos', '>', after)
    .orderBy('pos')
    .limit(limit)
    .execute()
  return rows.map((r) => ({
    pos: Number(r.pos),
    space: r.space,
    kind: r.kind as FeedKind,
    from: Number(r.from_seq),
    to: Number(r.to_seq),
    role: r.role as Role | null,
    at: Number(r.at),
  }))
}
