import { generateKeyPairSync } from 'node:crypto'
import { SignJWT, UnsecuredJWT } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type DevIssuer, startDevIssuer } from '../../testing/jwt-issuer.js'
import { type JwtIssuerInput, parseJwtIssuers } from './config.js'
import { reasonOf } from './reasons.js'
import { JwtVerifier, looksLikeJwt } from './verifier.js'

/** The reason a verification was refused with (undefined when it was accepted). */
const refusal = (verifier: JwtVerifier, token: string) =>
  verifier.verify(token).then(
    () => undefined,
    (error: unknown) => reasonOf(error) ?? error,
  )

const verifierOf = (issuers: JwtIssuerInput[], now?: () => number) =>
  new JwtVerifier(parseJwtIssuers(issuers, 'test'), now)

describe('JWT verification against a real local JWKS server', () => {
  let idp: DevIssuer
  beforeEach(async () => {
    idp = await startDevIssuer()
  })
  afterEach(() => idp.close())

  const jwks = (extra: Partial<JwtIssuerInput> = {}) =>
    ({ issuer: idp.issuer, jwksUrl: idp.jwksUrl, audience: 'tidings', ...extra }) as JwtIssuerInput

  it('accepts a valid token and names the user (issuer, sub) with its expiry', async () => {
    const verifier = verifierOf([jwks()])
    const exp = Math.floor(Date.now() / 1000) + 600
    const identity = await verifier.verify(await idp.sign({ sub: 'alice', exp }))
    expect(identity).toEqual({ issuer: idp.issuer, subject: 'alice', expiresAt: exp * 1000 })
  })

  it('rotates keys with no failed request: a new kid fetches the key set again', async () => {
    const verifier = verifierOf([jwks({ jwksCooldownSeconds: 0 })])
    const results: Array<string | undefined> = []
    const burst = async () => {
      const tokens = await Promise.all(Array.from({ length: 10 }, () => idp.sign({ sub: 'a' })))
      results.push(
        ...(await Promise.all(tokens.map((t) => refusal(verifier, t))).then((r) => r.map(String))),
      )
    }
    await burst()
    const old = 'key-1'
    await idp.addKey() // published first, then used for signing: the provider's rotation order
    await burst()
    idp.retireKey(old)
    await burst()
    expect(results).toEqual(Array(30).fill('undefined'))
    expect(idp.fetches).toBeGreaterThanOrEqual(2)
  })

  it('refuses an unknown kid as unknown_key, fetching the key set again at most once per cooldown', async () => {
    const verifier = verifierOf([jwks({ jwksCooldownSeconds: 60 })])
    const retired = await idp.sign({ sub: 'a' })
    await verifier.verify(retired)
    await idp.addKey()
    idp.retireKey('key-1')
    const strangers = await Promise.all(Array.from({ length: 5 }, () => idp.sign({ sub: 'a' })))
    for (const token of strangers) expect(await refusal(verifier, token)).toBe('unknown_key')
    expect(idp.fetches).toBe(1) // cooling down: made-up kids cannot make us hammer the provider
  })

  it('refuses expired, not-yet-valid, wrong-audience, unknown-issuer and subject-less tokens, each by its reason', async () => {
    const verifier = verifierOf([jwks({ clockToleranceSeconds: 0 })])
    const now = Math.floor(Date.now() / 1000)
    expect(await refusal(verifier, await idp.sign({ sub: 'a', exp: now - 10 }))).toBe(
      'token_expired',
    )
    expect(await refusal(verifier, await idp.sign({ sub: 'a', nbf: now + 60 }))).toBe(
      'token_not_yet_valid',
    )
    expect(await refusal(verifier, await idp.sign({ sub: 'a', aud: 'other-app' }))).toBe(
      'wrong_audience',
    )
    expect(await refusal(verifier, await idp.sign({ sub: 'a', iss: 'https://evil.example' }))).toBe(
      'unknown_issuer',
    )
    expect(await refusal(verifier, await idp.sign({ sub: '' }))).toBe('missing_claim')
    // No exp: such a token would never end, nor would a live stream opened with it.
    expect(await refusal(verifier, await idp.sign({ sub: 'a', exp: undefined }))).toBe(
      'missing_claim',
    )
  })

  it('says which setting to check, and never repeats the token', async () => {
    const verifier = verifierOf([jwks()])
    const token = await idp.sign({ sub: 'a', aud: 'other-app' })
    const error = await verifier.verify(token).catch((e: Error) => e)
    expect((error as Error).message).toContain('"audience"')
    expect((error as Error).message).not.toContain(token.split('.')[2])
  })

  it('remembers a verified token, but never past its exp plus the allowed skew', async () => {
    let now = Date.now()
    const verifier = verifierOf([jwks({ clockToleranceSeconds: 5 })], () => now)
    const exp = Math.floor(now / 1000) + 60
    const token = await idp.sign({ sub: 'a', exp })
    expect(await refusal(verifier, token)).toBeUndefined()
    now = exp * 1000 + 4_000
    expect(await refusal(verifier, token)).toBeUndefined()
    now = exp * 1000 + 5_000
    expect(await refusal(verifier, token)).toBe('token_expired')
  })

  it('refuses alg none even though it has a JWT shape', async () => {
    const verifier = verifierOf([jwks()])
    const none = new UnsecuredJWT({ sub: 'a', aud: 'tidings' })
      .setIssuer(idp.issuer)
      .setExpirationTime('1h')
      .encode()
    expect(looksLikeJwt(none)).toBe(true)
    expect(await refusal(verifier, none)).toBe('algorithm_not_allowed')
  })

  it('forgives clock skew up to clockToleranceSeconds, not a second more', async () => {
    const at = 1_800_000_000
    const verifier = verifierOf([jwks({ clockToleranceSeconds: 30 })], () => at * 1000)
    const token = (claims: object) => idp.sign({ sub: 'a', iat: at - 100, ...claims })
    expect(await refusal(verifier, await token({ exp: at - 29 }))).toBeUndefined()
    expect(await refusal(verifier, await token({ exp: at - 30 }))).toBe('token_expired')
    expect(await refusal(verifier, await token({ nbf: at + 30, exp: at + 600 }))).toBeUndefined()
    expect(await refusal(verifier, await token({ nbf: at + 31, exp: at + 600 }))).toBe(
      'token_not_yet_valid',
    )
  })
})

describe('JWT verification with static keys', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString()
  const secret = 'a-shared-secret-of-at-least-32-bytes!'
  const exp = () => Math.floor(Date.now() / 1000) + 600
  const issuers: JwtIssuerInput[] = [
    { issuer: 'https://keyed.example', publicKey: pem, audience: 'tidings', algorithms: ['RS256'] },
    { issuer: 'https://shared.example', secret, audience: ['tidings', 'other'] },
  ]

  it('trusts two issuers at once, each with its own key', async () => {
    const verifier = verifierOf(issuers)
    const keyed = await new SignJWT({
      sub: 'k',
      aud: 'tidings',
      iss: 'https://keyed.example',
      exp: exp(),
    })
      .setProtectedHeader({ alg: 'RS256' })
      .sign(rsa.privateKey)
    const shared = await new SignJWT({
      sub: 's',
      aud: 'other',
      iss: 'https://shared.example',
      exp: exp(),
    })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(secret))
    expect((await verifier.verify(keyed)).subject).toBe('k')
    expect((await verifier.verify(shared)).subject).toBe('s')
  })

  it('refuses RS/HS confusion: an HS256 token signed with the RSA public key as its secret', async () => {
    const verifier = verifierOf(issuers)
    const forged = await new SignJWT({
      sub: 'k',
      aud: 'tidings',
      iss: 'https://keyed.example',
      exp: exp(),
    })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(pem))
    expect(await refusal(verifier, forged)).toBe('algorithm_not_allowed')
  })

  it('refuses a token signed by another issuer’s key as bad_signature', async () => {
    const verifier = verifierOf(issuers)
    const forged = await new SignJWT({
      sub: 's',
      aud: 'tidings',
      iss: 'https://shared.example',
      exp: exp(),
    })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('another-secret-of-at-least-32-bytes!!'))
    expect(await refusal(verifier, forged)).toBe('bad_signature')
  })

  it('tells JWTs from server tokens by shape', () => {
    expect(looksLikeJwt('Zm9v.YmFy.YmF6')).toBe(true)
    expect(looksLikeJwt('k3Jq0pHkUxbqfNQnGhQyZJ2n2yF8a2ZrWmbT3eKuS8Y')).toBe(false)
  })
})
