import { TidingsError } from '@tidings/protocol'
import type { Kysely } from 'kysely'
import type { Database } from './schema.js'
import type { TokenHolder } from './store.js'

/** The one answer to a missing, unknown or revoked token, wherever it is found out. */
export const tokenRefused = (): TidingsError =>
  new TidingsError(
    'unauthorized',
    'the token is unknown or revoked; ask for a new one (tidings user add)',
  )

/** One row when the user still holds the token, unrevoked; none otherwise. */
export const holderQuery = (db: Kysely<Database>, holder: TokenHolder) =>
  db
    .selectFrom('users')
    .select('id')
    .where('id', '=', holder.userId)
    .where('token_hash', '=', holder.tokenHash)
    .where('revoked_at', 'is', null)
