import { AUTH_HEADER, BEARER, TidingsError } from '@tidings/protocol'
import { tokenRefused } from '../store/holder.js'
import type { Store } from '../store/store.js'
import { hashToken, tokenMatches } from './token.js'

/** The authenticated caller of a request. */
export interface Caller {
  userId: string
  name: string
  /** The sync stream this user reads and writes (today: its own). */
  stream: string
}

const MAX_TOKEN_LENGTH = 512

/** The token of `Authorization: Bearer <token>`; 401 `unauthorized` when missing or malformed. */
export const bearerToken = (header: string | undefined): string => {
  if (header === undefined || !header.startsWith(BEARER))
    throw new TidingsError('unauthorized', `missing ${AUTH_HEADER} header: send "${BEARER}<token>"`)
  const token = header.slice(BEARER.length).trim()
  if (token === '' || token.length > MAX_TOKEN_LENGTH) throw tokenRefused()
  return token
}

/**
 * Resolves `Authorization: Bearer <token>` to a user: 401 `unauthorized` when missing,
 * malformed, unknown or revoked. The lookup is by hash, and the hash is compared again in
 * constant time.
 */
export const authenticate = async (store: Store, header: string | undefined): Promise<Caller> => {
  const token = bearerToken(header)
  const user = await store.findUserByTokenHash(hashToken(token))
  if (!user || !tokenMatches(token, user.tokenHash) || user.revokedAt !== null) throw tokenRefused()
  return { userId: user.id, name: user.name, stream: user.id }
}
