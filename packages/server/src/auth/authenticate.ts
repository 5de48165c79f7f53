import { AUTH_HEADER, BEARER, TidingsError } from '@tidings/protocol'
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

/**
 * Resolves `Authorization: Bearer <token>` to a user: 401 `unauthorized` when missing,
 * malformed, unknown or revoked. The lookup is by hash, and the hash is compared again in
 * constant time.
 */
export const authenticate = async (store: Store, header: string | undefined): Promise<Caller> => {
  if (header === undefined || !header.startsWith(BEARER))
    throw new TidingsError('unauthorized', `missing ${AUTH_HEADER} header: send "${BEARER}<token>"`)
  const token = header.slice(BEARER.length).trim()
  if (token === '' || token.length > MAX_TOKEN_LENGTH) throw badToken()
  const user = await store.findUserByTokenHash(hashToken(token))
  if (!user || !tokenMatches(token, user.tokenHash) || user.revokedAt !== null) throw badToken()
  return { userId: user.id, name: user.name, stream: user.id }
}

const badToken = (): TidingsError =>
  new TidingsError(
    'unauthorized',
    'the token is unknown or revoked; ask for a new one (tidings user add)',
  )
