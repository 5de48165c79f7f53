import { AUTH_REASONS, type AuthReason, TidingsError } from '@tidings/protocol'

/** Why a JWT was refused (the protocol's `AUTH_REASONS`): `details.reason` of a 401. */
export type JwtReason = AuthReason
export const JWT_REASONS = AUTH_REASONS

/** A 401 `unauthorized` whose `details.reason` says what is wrong with the JWT. */
export const jwtRefused = (reason: JwtReason, message: string): TidingsError =>
  new TidingsError('unauthorized', message, { details: { reason } })

/** The reason of a refusal made by `jwtRefused`, if it is one. */
export const reasonOf = (error: unknown): JwtReason | undefined => {
  if (!(error instanceof TidingsError) || error.code !== 'unauthorized') return undefined
  const reason = (error.details as { reason?: unknown } | undefined)?.reason
  return JWT_REASONS.find((r) => r === reason)
}
