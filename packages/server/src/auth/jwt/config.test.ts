import { describe, expect, it } from 'vitest'
import { parseJwtConfigText, parseJwtIssuers } from './config.js'

describe('JWT issuer config', () => {
  const jwks = {
    issuer: 'https://idp.example/',
    jwksUrl: 'https://idp.example/jwks',
    audience: 'app',
  }

  it('fills in the defaults: RS256/ES256, 30 s of clock tolerance, the sub claim, a 5 s JWKS cooldown', () => {
    const [issuer] = parseJwtIssuers({ issuers: [jwks] }, 'test')
    expect(issuer).toMatchObject({
      algorithms: ['RS256', 'ES256'],
      clockToleranceSeconds: 30,
      subjectClaim: 'sub',
      jwksCooldownSeconds: 5,
    })
  })

  it('accepts a bare array as well as {issuers}', () => {
    expect(parseJwtConfigText(JSON.stringify([jwks]), 'TIDINGS_JWT_ISSUERS')).toHaveLength(1)
  })

  it('refuses what would open a hole, naming where and what', () => {
    const bad = (value: unknown) => () => parseJwtIssuers(value, '--jwt-config x.json')
    // No audience: tokens minted for any other app of the same provider would pass.
    expect(bad([{ issuer: 'i', jwksUrl: 'https://i/jwks' }])).toThrow(/x\.json.*audience/)
    // A public key never verifies HMAC (the RS/HS confusion), and nothing verifies `none`.
    expect(bad([{ ...jwks, algorithms: ['HS256'] }])).toThrow(/algorithms/)
    expect(bad([{ ...jwks, algorithms: ['none'] }])).toThrow(/algorithms/)
    expect(bad([{ issuer: 'i', audience: 'a', secret: 'short' }])).toThrow(/32 bytes/)
    expect(
      bad([{ issuer: 'i', audience: 'a', secret: 'x'.repeat(32), algorithms: ['RS256'] }]),
    ).toThrow(/algorithms/)
    expect(bad([jwks, jwks])).toThrow(/listed twice/)
    expect(bad([{ ...jwks, jwksUrl: 'file:///etc/passwd' }])).toThrow(/jwksUrl/)
    expect(() => parseJwtConfigText('{', 'TIDINGS_JWT_ISSUERS')).toThrow(
      /TIDINGS_JWT_ISSUERS: not JSON/,
    )
  })
})
