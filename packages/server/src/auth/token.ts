import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** A new bearer token: 32 random bytes, base64url. Shown once, never stored. */
export const newToken = (): string => randomBytes(32).toString('base64url')

/** What the store keeps instead of the token: SHA-256, base64url. */
export const hashToken = (token: string): string =>
  createHash('sha256').update(token).digest('base64url')

/** Constant-time comparison of a presented token with a stored hash. */
export const tokenMatches = (token: string, storedHash: string): boolean => {
  const presented = createHash('sha256').update(token).digest()
  const stored = Buffer.from(storedHash, 'base64url')
  return stored.length === presented.length && timingSafeEqual(presented, stored)
}
