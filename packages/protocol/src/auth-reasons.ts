/**
 * Why a bearer token was refused: `details.reason` of a 401 `unauthorized` (issue 14). The wire
 * code stays `unauthorized`, so the error table and every client's "sign in again" reading of a
 * 401 stay as they are; the reason says what to do instead. `token_expired` means "get a fresh
 * token and retry" (clients with a token function do so once); the others mean a
 * misconfiguration, a forged token, or a user revoked on the server.
 */
export const AUTH_REASONS = [
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

export type AuthReason = (typeof AUTH_REASONS)[number]
