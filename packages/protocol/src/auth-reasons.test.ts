import { describe, expect, it } from 'vitest'
import { AUTH_REASONS } from './auth-reasons.js'

describe('auth refusal reasons', () => {
  it('are a stable list: apps branch on them (details.reason of a 401), so only add', () => {
    expect(AUTH_REASONS).toEqual([
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
    ])
  })
})
