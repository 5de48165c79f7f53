import { ROUTES } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { type CliIo, runTidings } from './main.js'

const serve = (args: string[], env: Record<string, string> = {}) => {
  const err: string[] = []
  const io: CliIo = { out: () => {}, err: (t) => err.push(t), env }
  return runTidings(['serve', '--port', '0', '--quiet', '--db', 'memory', ...args], io).then(
    (outcome) => ({ ...outcome, stderr: err.join('\n') }),
  )
}

/** Health checks (no token: counted per client address) relayed for `client` by a local proxy. */
const healthChecksFor = async (url: string, client: string, count: number): Promise<number[]> => {
  const statuses: number[] = []
  for (let i = 0; i < count; i++)
    statuses.push(
      (await fetch(url + ROUTES.health, { headers: { 'x-forwarded-for': client } })).status,
    )
  return statuses
}

describe('tidings serve --trust-proxy', () => {
  it('counts clients behind the trusted proxy apart, as the flag or TIDINGS_TRUST_PROXY says', async () => {
    const ways: Array<[string[], Record<string, string>]> = [
      [['--trust-proxy', '127.0.0.1'], {}],
      [[], { TIDINGS_TRUST_PROXY: 'loopback' }],
    ]
    for (const [args, env] of ways) {
      const started = await serve(['--rate-limit', '2/min', ...args], env)
      expect(started.code).toBe(0)
      try {
        const url = started.server!.url
        expect(await healthChecksFor(url, '203.0.113.7', 3)).toEqual([200, 200, 429])
        expect(await healthChecksFor(url, '203.0.113.8', 1)).toEqual([200])
      } finally {
        await started.server?.close()
      }
    }
  })

  it('trusts no proxy by default: every client behind it shares its limit', async () => {
    const started = await serve(['--rate-limit', '2/min'])
    try {
      const url = started.server!.url
      expect(await healthChecksFor(url, '203.0.113.7', 2)).toEqual([200, 200])
      expect(await healthChecksFor(url, '203.0.113.8', 1)).toEqual([429])
    } finally {
      await started.server?.close()
    }
  })

  it('refuses a value it cannot read as a usage error', async () => {
    const refused = await serve(['--trust-proxy', '2'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('--trust-proxy')
    expect(refused.server).toBeUndefined()
  })
})
