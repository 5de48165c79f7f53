import { TidingsError } from '@tidings/protocol'
import type { Kysely } from 'kysely'
import { chunks, ID_CHUNK } from './chunks.js'
import type { Database } from './schema.js'
import type { TokenHolder } from './store.js'

/** The one answer to a missing, unknown or revoked token, wherever it is found out. */
export const tokenRefused = (): TidingsError =>
  new TidingsError(
    'unauthorized',
    'the token is unknown or revoked; ask the operator for a new one (tidings user token NAME), or create a user (tidings user add NAME)',
  )

/** One row when the user still holds the token (if it has one), unrevoked; none otherwise. */
export const holderQuery = (db: Kysely<Database>, holder: TokenHolder) =>
  db
    .selectFrom('users')
    .select('id')
    .where('id', '=', holder.userId)
    .$if(holder.tokenHash !== null, (q) => q.where('token_hash', '=', holder.tokenHash as string))
    .where('revoked_at', 'is', null)

/**
 * Which of these token hashes a user still holds, unrevoked: one indexed statement per
 * `ID_CHUNK` hashes (a token's hash is unique, and a new token replaces the old one's row value).
 */
export const heldTokenHashes = async (
  db: Kysely<Database>,
  tokenHashes: readonly string[],
): Promise<Set<string>> => {
  const held = new Set<string>()
  for (const hashes of chunks([...new Set(tokenHashes)], ID_CHUNK)) {
    const rows = await db
      .selectFrom('users')
      .select('token_hash')
      .where('token_hash', 'in', hashes)
      .where('revoked_at', 'is', null)
      .execute()
    for (const row of rows) held.add(row.token_hash)
  }
  return held
}
