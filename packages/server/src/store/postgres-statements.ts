import { prepared, type Statement } from './pipeline.js'
import type { Rows } from './push-plan.js'
import type { TokenHolder } from './store.js'

/**
 * The hot push statements of real Postgres as fixed SQL text: the same SQL as the Kysely
 * queries of the generic path (`reserveQuery`, `giveBackQuery`, `holderQuery`, `insertQueries`),
 * written out once so a push builds no query trees, and each is a prepared statement.
 */

// A null token hash is a JWT user's: only "not revoked" is confirmed (see TokenHolder).
const HOLDER =
  'select id from users where id = $1 and (cast($2 as text) is null or token_hash = $2) and revoked_at is null'

const RESERVE = `insert into streams (stream, last_seq) values ($1, $2)
  on conflict (stream) do update set last_seq = streams.last_seq + excluded.last_seq
  returning last_seq`

const GIVE_BACK = 'update streams set last_seq = $2 where stream = $1'

/** One bundle (the usual push): its columns as plain parameters, its events as arrays. */
const INSERT_ONE = `with stored_bundles as (
    insert into bundles (stream, seq, id, client, hlc, events, event_count, hash, received_at, part)
    values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $12)
  )
  insert into events (stream, id, bundle_id, hash)
  select $1, id, $3, hash from unnest(cast($10 as text[]), cast($11 as text[])) as fresh(id, hash)`

/** Any number of bundles: one array per column, so the text never changes. */
const INSERT_MANY = `with stored_bundles as (
    insert into bundles (stream, seq, id, client, hlc, events, event_count, hash, received_at, part)
    select $1, seq, id, client, hlc, events, event_count, hash, $2, part
      from unnest(cast($3 as bigint[]), cast($4 as text[]), cast($5 as text[]), cast($6 as text[]),
                  cast($7 as text[]), cast($8 as integer[]), cast($9 as text[]), cast($13 as text[]))
        as fresh(seq, id, client, hlc, events, event_count, hash, part)
  )
  insert into events (stream, id, bundle_id, hash)
  select $1, id, bundle_id, hash
    from unnest(cast($10 as text[]), cast($11 as text[]), cast($12 as text[])) as fresh(id, bundle_id, hash)`

/** One row when the user still holds the token, unrevoked. */
export const holderStatement = (holder: TokenHolder): Statement =>
  prepared({ sql: HOLDER, parameters: [holder.userId, holder.tokenHash] })

/** Bumps the stream counter by `count` under the stream's row lock; returns `last_seq`. */
export const reserveStatement = (stream: string, count: number): Statement =>
  prepared({ sql: RESERVE, parameters: [stream, count] })

export const giveBackStatement = (stream: string, head: number): Statement =>
  prepared({ sql: GIVE_BACK, parameters: [stream, head] })

/** All of a push's rows in one statement; undefined when nothing is new. */
export const insertStatement = (rows: Rows): Statement | undefined => {
  const { bundles, events } = rows
  const [first] = bundles
  if (!first) return undefined
  if (bundles.length === 1)
    return prepared({
      sql: INSERT_ONE,
      parameters: [
        first.stream,
        first.seq,
        first.id,
        first.client,
        first.hlc,
        first.events,
        first.event_count,
        first.hash,
        first.received_at,
        events.map((e) => e.id),
        events.map((e) => e.hash),
        first.part,
      ],
    })
  return prepared({
    sql: INSERT_MANY,
    parameters: [
      first.stream,
      first.received_at,
      bundles.map((b) => b.seq),
      bundles.map((b) => b.id),
      bundles.map((b) => b.client),
      bundles.map((b) => b.hlc),
      bundles.map((b) => b.events),
      bundles.map((b) => b.event_count),
      bundles.map((b) => b.hash),
      events.map((e) => e.id),
      events.map((e) => e.bundle_id),
      events.map((e) => e.hash),
      bundles.map((b) => b.part),
    ],
  })
}
