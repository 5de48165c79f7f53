import { TidingsError } from '@tidings/protocol'

/**
 * Why a JWT was refused: `details.reason` of a 401 `unauthorized`. The wire code stays
 * `unauthorized` (the protocol's error table is stable, and every client already treats a 401 as
 * "sign in again"); the reason tells a program what to do instead: `token_expired` means "get a
 * fresh token and retry", the others mean a misconfiguration or a forged token.
 */
export const JWT_REASONS = [
  'token_expired',
  'token_not_yet_valid',
  'wrong_audience',
  'unknown_issuer',
  'unknown_key',
  'bad_signature',
  'algorithm_not_allowed',
  'missing_claim',
  'malformed_token',
  'user_revoked',
] as const

export type JwtReason = (typeof JWT_REASONS)[number]

/** A 401 `unauthorized` whose `details.reason` says what is wrong with the JWT. */
export const jwtRefused = (reason: JwtReason, message: string): TidingsError =>
  new TidingsError('unauthorized', message, { details: { reason } })

/** The reason of a refusal made by `jwtRefused`, if it is one. */
export const reasonOf = (error: unknown): JwtReason | undefined => {
  if (!(error instanceof TidingsError) || error.code !== 'unauthorized') return undefined
  const reason = (error.details as { reason?: unknown } | undefined)?.reason
  return JWT_REASONS.find((r) => r === reason)
}
