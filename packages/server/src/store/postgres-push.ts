import type { Bundle } from '@tidings/protocol'
import type { Compilable, Kysely } from 'kysely'
import type { PipelinedClient, PipelinedPool } from './dialects/family.js'
import { type PageRow, pageQuery, readPage } from './pull.js'
import {
  asConflict,
  decide,
  dedupe,
  giveBackQuery,
  insertQueries,
  reserveQuery,
  type StoredRow,
  storedQueries,
} from './push-plan.js'
import type { Database } from './schema.js'
import type { Page, PullOptions, PushResult } from './store.js'

/** A pipelined push, and the page pulled on the same connection right after its COMMIT. */
export interface PipelinedSync {
  pushed: PushResult
  /** Absent when no pull was asked for. */
  page?: Page
}

/**
 * The generic push (see `pushBundles`), same statements in the same order, but pipelined on
 * one Postgres connection: BEGIN, the counter bump and the stored-id lookup go out together;
 * then the inserts, the give-back, COMMIT and (for `/v1/sync`) the pull of the answer's page.
 * Two round trips instead of six or more: on a busy machine every round trip costs a wakeup of
 * a Postgres backend, which is most of a request's price. The page is read after COMMIT, by
 * the same statement as `pullPage`, so it sees what any later pull would.
 * Answers null when the request is too big for two batches (the caller takes the generic path).
 */
export const pipelinedPush = async (
  pool: PipelinedPool,
  db: Kysely<Database>,
  input: { stream: string; bundles: readonly Bundle[]; now: number },
  pull?: PullOptions,
): Promise<PipelinedSync | null> => {
  const { stream } = input
  const unique = dedupe(input.bundles)
  if (unique.length === 0) return null
  const lookups = storedQueries(db, 'postgres', stream, unique)
  const [lookup] = lookups
  if (!lookup || lookups.length > 1) return null
  const client = await pool.connect()
  let broken: Error | undefined
  try {
    const [, reservedRows, stored] = await batch(client, [
      sqlOf('begin'),
      compiled(reserveQuery(db, stream, unique.length)),
      compiled(lookup),
    ])
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
    const writes = insertQueries(db, 'postgres', decision.rows)
    if (decision.giveBack) writes.push(giveBackQuery(db, stream, decision.head))
    const after: Statement[] = pull ? [pageQuery(pull).compile(db)] : []
    const results = await batch(client, [...writes.map(compiled), sqlOf('commit'), ...after])
    const pushed = {
      accepted: unique.map((h) => h.bundle.id),
      added: decision.added,
      head: decision.head,
    }
    if (!pull) return { pushed }
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

interface Statement {
  sql: string
  parameters: readonly unknown[]
}

const sqlOf = (sql: string): Statement => ({ sql, parameters: [] })
const compiled = (query: Compilable): Statement => query.compile()

/**
 * Sends every query at once and waits for all; throws the first failure. Later statements of
 * an aborted transaction fail too (and COMMIT answers ROLLBACK), so the first error is the cause.
 */
const batch = async (
  client: PipelinedClient,
  statements: Statement[],
): Promise<Array<unknown[] | undefined>> => {
  // One write for the whole batch: system calls, not bytes, are what a busy server pays for.
  const socket = client.connection?.stream
  socket?.cork?.()
  const sent = statements.map(({ sql, parameters }) => client.query(sql, [...parameters]))
  socket?.uncork?.()
  const results = await Promise.allSettled(sent)
  const failed = results.find((r) => r.status === 'rejected')
  if (failed) throw failed.reason
  if (results.some((r) => r.status === 'fulfilled' && r.value.command === 'ROLLBACK'))
    throw new Error('transaction rolled back')
  return results.map((r) => (r.status === 'fulfilled' ? r.value.rows : undefined))
}
