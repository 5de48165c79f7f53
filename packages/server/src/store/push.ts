import type { Bundle } from '@tidings/protocol'
import type { Kysely, Transaction } from 'kysely'
import type { Family } from './dialects/family.js'
import {
  asConflict,
  decide,
  dedupe,
  giveBackQuery,
  type Hashed,
  insertQueries,
  reserveQuery,
  type StoredRow,
  storedQueries,
} from './push-plan.js'
import type { Database } from './schema.js'
import {
  giveBackStatement,
  insertStatements,
  reserveStatement,
  storedStatements,
} from './sqlite-statements.js'
import type { PushResult } from './store.js'

/** A push's result and the stream head when it took the stream's lock (-1: it took none). */
export interface StoredPush extends PushResult {
  /** Every position up to this was committed, or commits with this push. */
  headBefore: number
}

/** The answer to a request with no bundles: nothing stored, no lock taken. */
export const nothingPushed = (): StoredPush => ({ accepted: [], added: 0, head: 0, headBefore: -1 })

/**
 * Stores a request's new bundles in one transaction. Its first statement bumps the stream
 * counter, which takes the stream's row lock (Postgres) or the write lock (SQLite) before
 * anything is read: writers of one stream run one after another, so positions become visible
 * in order and a reader's cursor never passes a bundle still to commit (invariant 4). It
 * reserves a position per request bundle and gives back those of bundles already stored.
 */
export const pushBundles = async (
  db: Kysely<Database>,
  family: Family,
  input: { stream: string; bundles: readonly Bundle[]; now: number },
): Promise<StoredPush> => {
  const unique = dedupe(input.bundles)
  if (unique.length === 0) return nothingPushed()
  try {
    return await db
      .transaction()
      .execute((trx) => pushHashed(trx, family, { stream: input.stream, unique, now: input.now }))
  } catch (err) {
    throw asConflict(err)
  }
}

/** The statements of one push, inside a transaction (or savepoint) the caller opened. */
export const pushHashed = async (
  trx: Transaction<Database>,
  family: Family,
  input: { stream: string; unique: Hashed[]; now: number },
): Promise<StoredPush> => {
  const { stream, unique } = input
  const sqlite = family === 'sqlite'
  const reserve = sqlite
    ? reserveStatement(stream, unique.length)
    : reserveQuery(trx, stream, unique.length).compile()
  const [counter] = (await trx.executeQuery(reserve)).rows
  if (!counter) throw new Error(`stream ${stream}: the counter bump returned no row`)
  const reserved = Number(counter.last_seq)
  const stored: StoredRow[] = []
  const lookups = sqlite
    ? storedStatements(stream, unique)
    : storedQueries(trx, family, stream, unique)
  for (const query of lookups) stored.push(...(await trx.executeQuery(query)).rows)
  const decision = decide({ stream, unique, stored, reserved, now: input.now })
  const inserts = sqlite
    ? insertStatements(decision.rows)
    : insertQueries(trx, family, decision.rows)
  for (const query of inserts) await trx.executeQuery(query)
  // Still under the lock: hand back the positions reserved for already stored bundles.
  if (decision.giveBack)
    await trx.executeQuery(
      sqlite
        ? giveBackStatement(stream, decision.head)
        : giveBackQuery(trx, stream, decision.head).compile(),
    )
  return {
    accepted: unique.map((h) => h.bundle.id),
    added: decision.added,
    head: decision.head,
    headBefore: reserved - unique.length,
  }
}
