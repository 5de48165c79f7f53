import { TidingsError } from '@tidings/protocol'
import {
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose'
import type { JwtIssuer } from './config.js'
import { type IssuerKey, issuerKey } from './keys.js'
import { jwtRefused } from './reasons.js'
import { VerifiedTokens } from './verified-tokens.js'

/** Who a valid JWT names, and until when. */
export interface JwtIdentity {
  issuer: string
  subject: string
  /** Epoch ms of `exp`: a live stream opened with this token ends then. */
  expiresAt: number
}

/** Three base64url segments: a JWT, never one of the server's own tokens (one segment). */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

/** Whether a bearer token has a JWT's shape (and so goes to the JWT verifier). */
export const looksLikeJwt = (token: string): boolean => JWT_SHAPE.test(token)

interface Trusted {
  config: JwtIssuer
  key: IssuerKey
  /** Which setting to name in a refusal. */
  setting: string
}

/**
 * Verifies JWTs against the configured issuers. The unverified `iss` only picks which issuer's
 * keys and rules apply; the signature, `iss`, `aud`, `exp` and `nbf` are then checked by jose
 * with that issuer's pinned algorithms, so a token cannot choose how it is verified (no `none`,
 * no HS256 signed with a public key). Every refusal is a 401 with a distinct `details.reason`
 * and a message naming the setting to check; no message ever contains the token.
 */
export class JwtVerifier {
  readonly #issuers = new Map<string, Trusted>()
  readonly #verified = new VerifiedTokens()
  readonly #toleranceMs = (issuer: string): number =>
    (this.#issuers.get(issuer)?.config.clockToleranceSeconds ?? 0) * 1000

  constructor(
    issuers: readonly JwtIssuer[],
    /** Epoch ms; injectable for tests of expiry and clock skew. */
    private readonly now: () => number = Date.now,
  ) {
    issuers.forEach((config, index) => {
      const setting = `issuers[${index}] (${JSON.stringify(config.issuer)})`
      let key: IssuerKey
      try {
        key = issuerKey(config)
      } catch (cause) {
        throw new TidingsError(
          'bad_request',
          `${setting}.publicKey is not a public key: ${(cause as Error).message}`,
          { cause },
        )
      }
      this.#issuers.set(config.issuer, { config, key, setting })
    })
  }

  /** Verifies a token of JWT shape; throws 401 `unauthorized` with `details.reason` otherwise. */
  async verify(token: string): Promise<JwtIdentity> {
    const now = this.now()
    const known = this.#verified.recall(token, now, this.#toleranceMs)
    if (known) return known
    const identity = await this.#verifyNow(token, now)
    this.#verified.remember(token, identity, now)
    return identity
  }

  async #verifyNow(token: string, now: number): Promise<JwtIdentity> {
    let claims: JWTPayload
    let alg: string | undefined
    try {
      claims = decodeJwt(token)
      alg = decodeProtectedHeader(token).alg
    } catch {
      throw jwtRefused('malformed_token', 'the bearer token looks like a JWT but cannot be decoded')
    }
    const trusted = typeof claims.iss === 'string' ? this.#issuers.get(claims.iss) : undefined
    if (!trusted)
      throw jwtRefused(
        'unknown_issuer',
        `JWT issuer ${JSON.stringify(claims.iss ?? null).slice(0, 200)} is not trusted; check the "issuer" of your JWT config (it must equal the token's iss exactly)`,
      )
    const { config, setting } = trusted
    const algorithms: readonly string[] = config.algorithms
    if (alg === undefined || !algorithms.includes(alg))
      throw jwtRefused(
        'algorithm_not_allowed',
        `JWT algorithm ${JSON.stringify(alg ?? null)} is not allowed for ${setting}; allowed: ${algorithms.join(', ')} (its "algorithms")`,
      )
    let payload: JWTPayload
    try {
      const options = {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: [...algorithms],
        clockTolerance: config.clockToleranceSeconds,
        currentDate: new Date(now),
        requiredClaims: ['exp'],
      }
      const key = trusted.key
      payload = (
        typeof key === 'function'
          ? await jwtVerify(token, key as JWTVerifyGetKey, options)
          : await jwtVerify(token, key, options)
      ).payload
    } catch (error) {
      throw refusalOf(error, trusted)
    }
    const subject = payload[config.subjectClaim]
    if (typeof subject !== 'string' || subject === '' || subject.length > 255)
      throw jwtRefused(
        'missing_claim',
        `the JWT has no string claim ${JSON.stringify(config.subjectClaim)} naming the user; check "subjectClaim" of ${setting}`,
      )
    return { issuer: config.issuer, subject, expiresAt: (payload.exp as number) * 1000 }
  }
}

/** jose's errors as Tidings refusals; a key set that cannot be fetched is 503, not the token's fault. */
const refusalOf = (error: unknown, { config, setting }: Trusted): TidingsError => {
  if (error instanceof errors.JWTExpired)
    return jwtRefused(
      'token_expired',
      'the JWT has expired; get a fresh token from your identity provider',
    )
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf')
      return jwtRefused(
        'token_not_yet_valid',
        `the JWT is not valid yet (nbf); check the clocks, or "clockToleranceSeconds" (${config.clockToleranceSeconds}) of ${setting}`,
      )
    if (error.claim === 'aud')
      return jwtRefused(
        'wrong_audience',
        `the JWT's aud is not one of ${JSON.stringify(config.audience)}; check "audience" of ${setting}, or the audience your app asks its provider for`,
      )
    if (error.claim === 'iss')
      return jwtRefused('unknown_issuer', `the JWT's iss does not match ${setting}`)
    return jwtRefused(
      'missing_claim',
      `the JWT's ${JSON.stringify(error.claim)} claim is missing or invalid (${error.reason})`,
    )
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return jwtRefused(
      'algorithm_not_allowed',
      `JWT algorithm not allowed for ${setting}; check its "algorithms" (${config.algorithms.join(', ')})`,
    )
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
    return jwtRefused(
      'unknown_key',
      `no key of ${setting}'s key set matches the JWT's kid; check "jwksUrl", or that the provider publishes the key it signs with`,
    )
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return jwtRefused(
      'bad_signature',
      `the JWT's signature does not verify with the key of ${setting}; check "publicKey", "secret" or "jwksUrl"`,
    )
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid)
    return new TidingsError('unavailable', `cannot fetch the key set of ${setting}; retry`, {
      cause: error,
    })
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid)
    return jwtRefused('malformed_token', `the JWT is malformed (${(error as Error).message})`)
  // fetch() failed or the provider answered non-200: not the token's fault.
  if (
    'jwksUrl' in config &&
    (error instanceof TypeError ||
      (error instanceof errors.JOSEError && error.code === 'ERR_JOSE_GENERIC'))
  )
    return new TidingsError('unavailable', `cannot fetch the key set of ${setting}; retry`, {
      cause: error,
    })
  if (error instanceof errors.JOSEError)
    return jwtRefused('bad_signature', `the JWT does not verify with ${setting} (${error.code})`)
  return error instanceof TidingsError
    ? error
    : new TidingsError('internal', 'JWT verification failed', { cause: error })
}
