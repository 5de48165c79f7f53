import { newId } from '@tidings/protocol'
import type { Store } from '../../store/store.js'
import type { Caller } from '../authenticate.js'
import { jwtRefused } from './reasons.js'
import type { JwtVerifier } from './verifier.js'

/**
 * The user name given to a new identity: `ISSUER#SUBJECT`, readable in `tidings user list` and
 * usable with `tidings user revoke`. Never a CLI user's name (those cannot hold `#`, `:` or `/`),
 * and one per identity: an OIDC issuer is a URL without a fragment, and any other issuer holding
 * a `#` is percent-encoded so the split stays unambiguous.
 */
export const identityUserName = (issuer: string, subject: string): string =>
  `${issuer.includes('#') ? encodeURIComponent(issuer) : issuer}#${subject}`

/**
 * The caller a JWT names: verified, then its `(issuer, subject)` looked up (one indexed read),
 * the user and its private stream created on first sight. A user revoked with `tidings user
 * revoke` stays refused whatever its provider says. No cache: the database stays the one
 * authority on revocation, as it is for server tokens.
 */
export const jwtCaller = async (
  verifier: JwtVerifier,
  store: Store,
  token: string,
  now: number,
): Promise<Caller> => {
  const { issuer, subject, expiresAt } = await verifier.verify(token)
  const user = await store.userOfIdentity({
    issuer,
    subject,
    id: newId(),
    name: identityUserName(issuer, subject),
    now,
  })
  if (user.revokedAt !== null)
    throw jwtRefused(
      'user_revoked',
      `user ${JSON.stringify(user.name)} is revoked on this server (tidings user revoke)`,
    )
  return { userId: user.id, name: user.name, stream: user.id, expiresAt }
}
