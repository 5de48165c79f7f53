import type { Kysely } from 'kysely'
import type { PipelinedPool } from './dialects/family.js'
import { tokenRefused } from './holder.js'
import { markOf } from './mark.js'
import { batch, command, prepared, type Statement } from './pipeline.js'
import { type OptimisticPush, optimisticPush } from './postgres-optimistic-push.js'
import {
  giveBackStatement,
  holderStatement,
  insertStatement,
  reserveStatement,
} from './postgres-statements.js'
import { leavesOut, type PageRow, pageKnownEmpty, pageQuery, readPage } from './pull.js'
import {
  asConflict,
  decide,
  dedupe,
  type Hashed,
  type StoredRow,
  storedQueries,
} from './push-plan.js'
import type { Database } from './schema.js'
import type { Page, PullOptions, PushInput, PushResult, TokenHolder } from './store.js'

/** A pipelined push, and the page pulled on the same connection right after its COMMIT. */
export interface PipelinedSync {
  pushed: PushResult
  /** Absent when no pull was asked for. */
  page?: Page
}

/**
 * A push on real Postgres. First the bet that every id is new (`optimisticPush`): one
 * statement, one round trip. When the bet is lost, the careful push: the generic push's
 * statements (see `pushBundles`) in the same order, pipelined on one connection: BEGIN, the
 * token check (when asked), the counter bump and the stored-id lookup go out together; then the
 * insert, the give-back, COMMIT and (for `/v1/sync`) the page. On a busy machine every round
 * trip costs a wakeup of a Postgres backend; every statement is a prepared one (see
 * `prepared`). The page is read after COMMIT, by the same statement as `pullPage`, so it sees
 * what any later pull would, unless it is known to be empty (see `pageKnownEmpty`).
 * Answers null when the request is too big for two batches (the caller takes the generic path).
 */
export const pipelinedPush = async (
  pool: PipelinedPool,
  db: Kysely<Database>,
  input: PushInput,
  pull?: PullOptions,
): Promise<PipelinedSync | null> => {
  const unique = dedupe(input.bundles)
  if (unique.length === 0) return null
  const bet = await optimisticPush(pool, input, unique, pull?.check?.seq)
  if (!bet) return carefulPush(pool, db, input, unique, pull)
  const { pushed, headBefore } = bet
  if (!pull) return { pushed }
  const marked = markedPageKnownEmpty(pull, bet, unique, input.now)
  if (marked) return { pushed, page: marked }
  if (
    pageKnownEmpty(
      pull,
      headBefore,
      unique.map((h) => h.bundle),
    )
  )
    return { pushed, page: { bundles: [], cursor: pushed.head, more: false } }
  return { pushed, page: await pipelinedPull(pool, db, pull) }
}

/** The push that looks before it writes: stored ids first, then what is new (see above). */
const carefulPush = async (
  pool: PipelinedPool,
  db: Kysely<Database>,
  input: PushInput,
  unique: Hashed[],
  pull?: PullOptions,
): Promise<PipelinedSync | null> => {
  const { stream } = input
  const lookups = storedQueries(db, 'postgres', stream, unique)
  const [lookup] = lookups
  if (!lookup || lookups.length > 1) return null
  const client = await pool.connect()
  let broken: Error | undefined
  try {
    const holder = input.holder ? [holderStatement(input.holder)] : []
    const [, ...firstRows] = await batch(client, [
      command('begin'),
      ...holder,
      reserveStatement(stream, unique.length),
      prepared(lookup.compile()),
    ])
    if (input.holder && firstRows.shift()?.length !== 1) throw tokenRefused()
    const [reservedRows, stored] = firstRows
    const reserved = Number(
      (reservedRows?.[0] as { last_seq: number | string } | undefined)?.last_seq,
    )
    const decision = decide({
      stream,
      unique,
      stored: (stored ?? []) as StoredRow[],
      reserved,
      now: input.now,
    })
    const writes: Statement[] = []
    const insert = insertStatement(decision.rows)
    if (insert) writes.push(insert)
    if (decision.giveBack) writes.push(giveBackStatement(stream, decision.head))
    const pushed = {
      accepted: unique.map((h) => h.bundle.id),
      added: decision.added,
      head: decision.head,
    }
    const known = pull && pageKnownEmpty(pull, reserved - unique.length, decision.rows.bundles)
    const after = pull && !known ? [prepared(pageQuery(pull).compile(db))] : []
    const results = await batch(client, [...writes, command('commit'), ...after])
    if (!pull) return { pushed }
    if (known) return { pushed, page: { bundles: [], cursor: decision.head, more: false } }
    return { pushed, page: readPage((results[results.length - 1] ?? []) as PageRow[], pull) }
  } catch (err) {
    // Whatever failed, leave no transaction open on a pooled connection (a no-op after COMMIT).
    await client.query('rollback', []).catch((rollbackErr: unknown) => {
      broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr))
    })
    throw asConflict(err)
  } finally {
    client.release(broken)
  }
}

/**
 * A page on one pooled connection, as a prepared statement; with a holder, its token check
 * goes out in the same round trip.
 */
export const pipelinedPull = async (
  pool: PipelinedPool,
  db: Kysely<Database>,
  pull: PullOptions,
  holder?: TokenHolder,
): Promise<Page> => {
  const client = await pool.connect()
  try {
    const check = holder ? [holderStatement(holder)] : []
    const rows = await batch(client, [...check, prepared(pageQuery(pull).compile(db))])
    if (holder && rows[0]?.length !== 1) throw tokenRefused()
    return readPage((rows[rows.length - 1] ?? []) as PageRow[], pull)
  } finally {
    // No transaction to end; the pool itself drops a connection that broke.
    client.release()
  }
}

const bundleOf = (hashed: Hashed) => hashed.bundle

/**
 * `pageKnownEmpty` for a marked cursor (see `http/cursor.ts`), whose check rode in the push
 * statement itself: when the client stood at the head, its cursor still names the bundle there
 * and it pushed only its own bundles, the page is empty and the new head is its last bundle,
 * whose mark is known without a read. Saves the page query's round trip on Postgres' hot path.
 * Anything else (a failed check included) is left to the page query.
 */
const markedPageKnownEmpty = (
  pull: PullOptions,
  bet: OptimisticPush,
  unique: readonly Hashed[],
  now: number,
): Page | null => {
  const { headBefore, checked, pushed } = bet
  const last = unique[unique.length - 1]
  if (!pull.marked || last === undefined || pull.after !== headBefore) return null
  if (!leavesOut(pull, unique.map(bundleOf))) return null
  if (pull.check) {
    if (pull.check.seq !== headBefore || !checked) return null
    if (markOf(checked.hash, checked.at) !== pull.check.mark) return null
  } else if (headBefore !== 0) return null
  const head = { seq: pushed.head, mark: markOf(last.hash, now) }
  return { bundles: [], cursor: pushed.head, more: false, head }
}
