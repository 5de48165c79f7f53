import { createPublicKey, type KeyObject } from 'node:crypto'
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose'
import type { JwtIssuer } from './config.js'

/** How a verifier finds an issuer's key: the token's header picks one of a key set, or one key. */
export type IssuerKey = JWTVerifyGetKey | KeyObject | Uint8Array

/** Give up on a JWKS fetch after this long: a hung provider must not hang every sign-in. */
const JWKS_TIMEOUT_MS = 5_000
/** Fetch the key set again after this long even without an unknown `kid`. */
const JWKS_MAX_AGE_MS = 10 * 60_000

/**
 * The key (or key set) of an issuer. A JWKS is fetched on first use and cached; an unknown `kid`
 * fetches it again, at most once per `jwksCooldownSeconds` (jose's `createRemoteJWKSet`), so a
 * provider that publishes a new key before signing with it rotates keys with no failed request,
 * and a flood of tokens with made-up `kid`s costs the provider one fetch per cooldown.
 */
export const issuerKey = (issuer: JwtIssuer): IssuerKey => {
  if ('jwksUrl' in issuer)
    return createRemoteJWKSet(new URL(issuer.jwksUrl), {
      cooldownDuration: issuer.jwksCooldownSeconds * 1000,
      cacheMaxAge: JWKS_MAX_AGE_MS,
      timeoutDuration: JWKS_TIMEOUT_MS,
    })
  if ('publicKey' in issuer)
    return typeof issuer.publicKey === 'string'
      ? createPublicKey(issuer.publicKey)
      : createPublicKey({
          key: issuer.publicKey as import('node:crypto').JsonWebKey,
          format: 'jwk',
        })
  return new TextEncoder().encode(issuer.secret)
}
