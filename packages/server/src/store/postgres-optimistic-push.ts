import { isUniqueViolation, type PipelinedPool } from './dialects/family.js'
import { tokenRefused } from './holder.js'
import { batch, prepared } from './pipeline.js'
import { type Hashed, partText } from './push-plan.js'
import type { PushInput, PushResult } from './store.js'

/**
 * Bumps the stream counter (after the token check, when there is a holder), which takes the
 * stream's row lock until the statement commits, and inserts every bundle and event at the
 * reserved positions: one autocommitted statement. Nothing is inserted when the token check
 * fails (no `reserved` row); an id already stored fails a unique index and rolls it all back.
 * `one`: the usual single bundle, its columns as plain parameters (no 2 KB array literal to
 * escape and parse); otherwise one array per column, so the text never changes.
 * `$16` is the position a marked cursor checks (-1: none): the bundle there committed before
 * the client was even given that cursor, so the statement's own snapshot sees it.
 */
const pushSql = (one: boolean): string => `
  with reserved as (
    insert into streams (stream, last_seq)
    select $1, $2
     where cast($4 as text) is null
        or exists (select 1 from users where id = $4
                   and (cast($5 as text) is null or token_hash = $5) and revoked_at is null)
    on conflict (stream) do update set last_seq = streams.last_seq + excluded.last_seq
    returning last_seq
  ), stored_bundles as (
    insert into bundles (stream, seq, id, client, hlc, events, event_count, hash, received_at, part)
    ${
      one
        ? `select $1, reserved.last_seq, $6, $7, $8, $9, $10, $11, $3, $15 from reserved`
        : `select $1, reserved.last_seq - $2 + fresh.n, fresh.id, fresh.client, fresh.hlc,
                  fresh.events, fresh.event_count, fresh.hash, $3, fresh.part
             from reserved,
                  unnest(cast($6 as text[]), cast($7 as text[]), cast($8 as text[]),
                         cast($9 as text[]), cast($10 as integer[]), cast($11 as text[]),
                         cast($15 as text[]))
                    with ordinality as fresh(id, client, hlc, events, event_count, hash, part, n)`
    }
  ), stored_events as (
    insert into events (stream, id, bundle_id, hash)
    select $1, fresh.id, fresh.bundle_id, fresh.hash
      from reserved, unnest(cast($12 as text[]), cast($13 as text[]), cast($14 as text[]))
        as fresh(id, bundle_id, hash)
  )
  select last_seq, checked.hash as check_hash, checked.received_at as check_at
    from reserved left join bundles checked on checked.stream = $1 and checked.seq = $16`

const PUSH_ONE = pushSql(true)
const PUSH_MANY = pushSql(false)

/** An optimistic push and the stream head right before it. */
export interface OptimisticPush {
  pushed: PushResult
  /** Every position up to this was committed when the push took the stream's lock. */
  headBefore: number
  /** Hash and arrival of the bundle at the checked position, when one was asked and is there. */
  checked: { hash: string; at: number | string } | null
}

/**
 * The usual push, a request of new bundles, in one statement and one round trip, betting
 * that none of its ids is stored yet. Answers null when the bet is lost (an id is already
 * stored: a client's retry, or a conflict): nothing was written, and the caller takes the
 * careful path, which looks up stored ids first and decides (see `pipelinedPush`).
 */
export const optimisticPush = async (
  pool: PipelinedPool,
  input: PushInput,
  unique: readonly Hashed[],
  checkSeq = -1,
): Promise<OptimisticPush | null> => {
  const { stream, holder } = input
  const events = unique.flatMap((h) =>
    h.bundle.events.map((e, j) => ({ id: e.id, bundle: h.bundle.id, hash: h.eventHashes[j] })),
  )
  const one = unique.length === 1
  const column = <T>(value: (h: Hashed) => T): T | T[] =>
    one ? value(unique[0] as Hashed) : unique.map(value)
  const parameters = [
    stream,
    unique.length,
    input.now,
    holder?.userId ?? null,
    holder?.tokenHash ?? null,
    column((h) => h.bundle.id),
    column((h) => h.bundle.client),
    column((h) => h.bundle.hlc),
    column((h) => JSON.stringify(h.bundle.events)),
    column((h) => h.bundle.events.length),
    column((h) => h.hash),
    events.map((e) => e.id),
    events.map((e) => e.bundle),
    events.map((e) => e.hash),
    column((h) => partText(h.bundle)),
    checkSeq,
  ]
  const client = await pool.connect()
  let rows: unknown[] | undefined
  try {
    ;[rows] = await batch(client, [prepared({ sql: one ? PUSH_ONE : PUSH_MANY, parameters })])
  } catch (err) {
    if (isUniqueViolation(err)) return null
    throw err
  } finally {
    client.release()
  }
  const row = rows?.[0] as
    | { last_seq: number | string; check_hash: string | null; check_at: number | string | null }
    | undefined
  if (!row) throw tokenRefused()
  const head = Number(row.last_seq)
  return {
    pushed: { accepted: unique.map((h) => h.bundle.id), added: unique.length, head },
    headBefore: head - unique.length,
    checked:
      row.check_hash !== null && row.check_at !== null
        ? { hash: row.check_hash, at: row.check_at }
        : null,
  }
}
