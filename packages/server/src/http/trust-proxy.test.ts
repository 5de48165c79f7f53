import { describe, expect, it } from 'vitest'
import { parseTrustProxy } from './trust-proxy.js'

describe('--trust-proxy values', () => {
  it('reads true, false, and lists of addresses, CIDR ranges and named ranges', () => {
    expect(parseTrustProxy('true')).toBe(true)
    expect(parseTrustProxy('false')).toBe(false)
    expect(parseTrustProxy('10.0.0.1')).toEqual(['10.0.0.1'])
    expect(parseTrustProxy('10.0.0.0/8, ::1, fd00::/8,loopback')).toEqual([
      '10.0.0.0/8',
      '::1',
      'fd00::/8',
      'loopback',
    ])
  })

  it('refuses anything else, hop counts included (Fastify would silently trust no one)', () => {
    for (const bad of ['', 'yes', '2', '10.0.0.0/33', '::1/129', 'proxy.local', '10.0.0.1,'])
      expect(() => parseTrustProxy(bad), bad).toThrow(/trust proxy/)
  })
})
