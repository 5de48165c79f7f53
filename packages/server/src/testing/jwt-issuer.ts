import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'

/**
 * A local identity provider for tests and development: RSA keys made with jose, their public
 * halves served as a JWKS over real HTTP on 127.0.0.1 (a free port), and tokens signed with any
 * of them. Keys can be added and retired while it runs, as a provider rotates them.
 */
export interface DevIssuer {
  /** The `iss` it signs with (its own URL). */
  readonly issuer: string
  /** `${issuer}/.well-known/jwks.json` */
  readonly jwksUrl: string
  /** How many times the key set was fetched. */
  readonly fetches: number
  /** Makes a new key (published at once) and returns its kid; `sign` uses it from now on. */
  addKey(): Promise<string>
  /** Stops publishing a key (tokens signed with it then fail with `unknown_key`). */
  retireKey(kid: string): void
  /**
   * A token for `sub` with `aud`, valid an hour from now unless claims say otherwise (`exp`,
   * `nbf`, `iat` in epoch seconds); `kid` picks a key other than the newest.
   */
  sign(claims: Record<string, unknown>, options?: { kid?: string }): Promise<string>
  close(): Promise<void>
}

interface Key {
  kid: string
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey']
  jwk: JWK
}

/** Starts a dev issuer with one key. */
export const startDevIssuer = async (options: { audience?: string } = {}): Promise<DevIssuer> => {
  const keys: Key[] = []
  let fetches = 0
  let next = 0
  const server: Server = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end()
      return
    }
    fetches++
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ keys: keys.map((k) => k.jwk) }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const issuer = `http://127.0.0.1:${port}`
  const addKey = async (): Promise<string> => {
    const kid = `key-${++next}`
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
    keys.push({
      kid,
      privateKey,
      jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' },
    })
    return kid
  }
  await addKey()
  return {
    issuer,
    jwksUrl: `${issuer}/.well-known/jwks.json`,
    get fetches() {
      return fetches
    },
    addKey,
    retireKey(kid) {
      const index = keys.findIndex((k) => k.kid === kid)
      if (index >= 0) keys.splice(index, 1)
    },
    async sign(claims, signOptions = {}) {
      const key = signOptions.kid ? keys.find((k) => k.kid === signOptions.kid) : keys.at(-1)
      if (!key) throw new Error(`no key ${signOptions.kid ?? '(none left)'}`)
      const now = Math.floor(Date.now() / 1000)
      return new SignJWT({
        iss: issuer,
        aud: options.audience ?? 'tidings',
        iat: now,
        exp: now + 3600,
        ...claims,
      })
        .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
        .sign(key.privateKey)
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
