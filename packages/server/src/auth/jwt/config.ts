import { TidingsError } from '@tidings/protocol'
import { z } from 'zod'

/**
 * Trusted JWT issuers: what `--jwt-config FILE` or `TIDINGS_JWT_ISSUERS` (the same JSON) holds,
 * checked at startup so a typo stops the server with the setting named, not every sign-in later.
 */

/** Asymmetric algorithms a public key (or a JWKS) may verify. */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const
/** Algorithms a shared secret may verify. */
export const SECRET_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const

/** The shortest HMAC secret accepted: 256 bits, as RFC 7518 §3.2 asks of HS256. */
const MIN_SECRET_BYTES = 32

const common = {
  /** The `iss` claim, exactly as the provider writes it (trailing slash included). */
  issuer: z.string().min(1),
  /** Accepted `aud` values; a token must name at least one. Required: see README. */
  audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  /** Seconds of clock difference forgiven on `exp` and `nbf`; default 30. */
  clockToleranceSeconds: z.number().int().min(0).max(600).default(30),
  /** The claim naming the user; default `sub`. */
  subjectClaim: z.string().min(1).default('sub'),
}

const asymmetric = z.array(z.enum(ASYMMETRIC_ALGORITHMS)).min(1).default(['RS256', 'ES256'])

const jwksSchema = z.strictObject({
  ...common,
  /** The provider's JSON Web Key Set, fetched on first use and again for an unknown `kid`. */
  jwksUrl: z.url({ protocol: /^https?$/ }),
  algorithms: asymmetric,
  /**
   * The least time between two fetches of the key set; default 5 s: a provider that signs with
   * a key as soon as it publishes it is refused for at most this long.
   */
  jwksCooldownSeconds: z.number().min(0).default(5),
})
const publicKeySchema = z.strictObject({
  ...common,
  /** One public key: SPKI PEM text, or a JWK object. */
  publicKey: z.union([
    z.string().includes('-----BEGIN PUBLIC KEY-----'),
    z.looseObject({ kty: z.string() }),
  ]),
  algorithms: asymmetric,
})
const secretSchema = z.strictObject({
  ...common,
  /** A shared HMAC secret (UTF-8 text) of at least 32 bytes. */
  secret: z.string().refine((s) => new TextEncoder().encode(s).length >= MIN_SECRET_BYTES, {
    message: `a secret needs at least ${MIN_SECRET_BYTES} bytes`,
  }),
  algorithms: z.array(z.enum(SECRET_ALGORITHMS)).min(1).default(['HS256']),
})

const issuerSchema = z.union([jwksSchema, publicKeySchema, secretSchema])
const KEY_FIELDS = ['jwksUrl', 'publicKey', 'secret'] as const
/** Each kind of key has its own schema, picked by the key field, so errors name real fields. */
const SCHEMA_OF = { jwksUrl: jwksSchema, publicKey: publicKeySchema, secret: secretSchema }

/** One trusted issuer, defaults filled in. Exactly one of `jwksUrl`, `publicKey`, `secret`. */
export type JwtIssuer = z.output<typeof issuerSchema>
/** What may be written in the config (defaults optional). */
export type JwtIssuerInput = z.input<typeof issuerSchema>

/**
 * The issuers of a parsed config (`{issuers: [...]}` or a bare array); `bad_request` naming
 * `where` and each wrong field otherwise. An issuer listed twice is refused: which one a token
 * meets would be a guess.
 */
export const parseJwtIssuers = (value: unknown, where: string): JwtIssuer[] => {
  const list = Array.isArray(value) ? value : (value as { issuers?: unknown } | null)?.issuers
  if (!Array.isArray(list) || list.length === 0)
    throw new TidingsError(
      'bad_request',
      `${where}: expected {"issuers": [...]} with at least one issuer`,
    )
  const issuers = list.map((item: unknown, index): JwtIssuer => {
    const fields = KEY_FIELDS.filter((f) => typeof item === 'object' && item !== null && f in item)
    const [field] = fields
    if (field === undefined || fields.length > 1)
      throw new TidingsError(
        'bad_request',
        `${where}: issuers[${index}] needs exactly one of "jwksUrl", "publicKey" or "secret"`,
      )
    const parsed = SCHEMA_OF[field].safeParse(item)
    if (parsed.success) return parsed.data
    const issues = parsed.error.issues.map((i) => `"${i.path.join('.')}": ${i.message}`).join('; ')
    throw new TidingsError('bad_request', `${where}: issuers[${index}] ${issues}`)
  })
  const seen = new Set<string>()
  for (const { issuer } of issuers) {
    if (seen.has(issuer))
      throw new TidingsError(
        'bad_request',
        `${where}: issuer ${JSON.stringify(issuer)} is listed twice`,
      )
    seen.add(issuer)
  }
  return issuers
}

/** Parses config JSON text (a file's or an environment variable's). */
export const parseJwtConfigText = (text: string, where: string): JwtIssuer[] => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new TidingsError('bad_request', `${where}: not JSON (${(err as Error).message})`)
  }
  return parseJwtIssuers(value, where)
}
