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
  storedQueries,
} from './push-plan.js'
import type { Database } from './schema.js'
import type { PushResult } from './store.js'

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
): Promise<PushResult> => {
  const unique = dedupe(input.bundles)
  if (unique.length === 0) return { accepted: [], added: 0, head: 0 }
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
): Promise<PushResult> => {
  const { stream, unique } = input
  const reserved = Number(
    (await reserveQuery(trx, stream, unique.length).executeTakeFirstOrThrow()).last_seq,
  )
  const stored = []
  for (const query of storedQueries(trx, family, stream, unique))
    stored.push(...(await trx.executeQuery(query)).rows)
  const decision = decide({ stream, unique, stored, reserved, now: input.now })
  for (const query of insertQueries(trx, family, decision.rows)) await trx.executeQuery(query)
  // Still under the lock: hand back the positions reserved for already stored bundles.
  if (decision.giveBack) await giveBackQuery(trx, stream, decision.head).execute()
  return {
    accepted: unique.map((h) => h.bundle.id),
    added: decision.added,
    head: decision.head,
  }
}
