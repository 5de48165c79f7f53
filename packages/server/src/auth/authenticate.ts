import { AUTH_HEADER, type AuthReason, BEARER, TidingsError } from '@tidings/protocol'
import { tokenRefused } from '../store/holder.js'
import type { Store } from '../store/store.js'
import { jwtCaller } from './jwt/jwt-users.js'
import { type JwtVerifier, looksLikeJwt } from './jwt/verifier.js'
import { hashToken, tokenMatches } from './token.js'

/** The authenticated caller of a request. */
export interface Caller {
  userId: string
  name: string
  /** The sync stream this user reads and writes (today: its own). */
  stream: string
  /** Epoch ms the credential stops being valid: a JWT's `exp`; absent for server tokens. */
  expiresAt?: number
}

/** JWT authentication, when the server trusts issuers; its clock stamps new users. */
export interface JwtAuth {
  verifier: JwtVerifier
  now: () => number
}

/** Room for a JWT with a 4096-bit RSA signature and a few claims; a server token is 43. */
const MAX_TOKEN_LENGTH = 8_192

/** The token of `Authorization: Bearer <token>`; 401 `unauthorized` when missing or malformed. */
export const bearerToken = (header: string | undefined): string => {
  if (header === undefined || !header.startsWith(BEARER))
    throw new TidingsError('unauthorized', `missing ${AUTH_HEADER} header: send "${BEARER}<token>"`)
  const token = header.slice(BEARER.length).trim()
  if (token === '' || token.length > MAX_TOKEN_LENGTH) throw tokenRefused()
  return token
}

/** Whether the bearer token is a JWT (three segments) rather than a server token. */
export const isJwtHeader = (header: string | undefined): boolean =>
  header !== undefined && looksLikeJwt(bearerToken(header))

/**
 * Resolves `Authorization: Bearer <token>` to a user: 401 `unauthorized` when missing,
 * malformed, unknown or revoked. A JWT (told apart by its shape) goes to the configured issuers;
 * a server token is looked up by hash, and the hash compared again in constant time.
 */
export const authenticate = async (
  store: Store,
  header: string | undefined,
  jwt?: JwtAuth,
): Promise<Caller> => {
  const token = bearerToken(header)
  if (looksLikeJwt(token)) {
    if (!jwt)
      throw new TidingsError(
        'unauthorized',
        'the token is a JWT but this server trusts no JWT issuer; start it with --jwt-config FILE or TIDINGS_JWT_ISSUERS',
        { details: { reason: 'unknown_issuer' satisfies AuthReason } },
      )
    return jwtCaller(jwt.verifier, store, token, jwt.now())
  }
  const user = await store.findUserByTokenHash(hashToken(token))
  if (!user || !tokenMatches(token, user.tokenHash) || user.revokedAt !== null) throw tokenRefused()
  return { userId: user.id, name: user.name, stream: user.id }
}
