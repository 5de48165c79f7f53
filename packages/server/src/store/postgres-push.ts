import type { Bundle } from '@tidings/protocol'
import type { Compilable, Kysely } from 'kysely'
import type { PipelinedClient, PipelinedPool } from './dialects/family.js'
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
import type { PushResult } from './store.js'

/**
 * The generic push (see `pushBundles`), same statements in the same order, but pipelined on
 * one Postgres connection: BEGIN, the counter bump and the stored-id lookup go out together;
 * then the inserts, the give-back and COMMIT. Two round trips instead of five or more.
 * Answers null when the request is too big for two batches (the caller takes the generic path).
 */
export const pipelinedPush = async (
  pool: PipelinedPool,
  db: Kysely<Database>,
  input: { stream: string; bundles: readonly Bundle[]; now: number },
): Promise<PushResult | null> => {
  const { stream } = input
  const unique = dedupe(input.bundles)
  if (unique.length === 0) return { accepted: [], added: 0, head: 0 }
  const lookups = storedQueries(db, stream, unique)
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
    await batch(client, [...writes.map(compiled), sqlOf('commit')])
    return { accepted: unique.map((h) => h.bundle.id), added: decision.added, head: decision.head }
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
  const last = results[results.length - 1]
  if (last?.status === 'fulfilled' && last.value.command === 'ROLLBACK')
    throw new Error('transaction rolled back')
  return results.map((r) => (r.status === 'fulfilled' ? r.value.rows : undefined))
}
