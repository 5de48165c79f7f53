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

/** The statuses of `count` health checks in a row (no token: counted per IP address). */
const healthChecks = async (url: string, count: number): Promise<number[]> => {
  const statuses: number[] = []
  for (let i = 0; i < count; i++) statuses.push((await fetch(url + ROUTES.health)).status)
  return statuses
}

describe('tidings serve --rate-limit', () => {
  it('limits requests as the flag says, or as TIDINGS_RATE_LIMIT says', async () => {
    const ways: Array<[string[], Record<string, string>]> = [
      [['--rate-limit', '2/min'], {}],
      [[], { TIDINGS_RATE_LIMIT: '2/min' }],
    ]
    for (const [args, env] of ways) {
      const started = await serve(args, env)
      expect(started.code).toBe(0)
      try {
        expect(await healthChecks(started.server!.url, 3)).toEqual([200, 200, 429])
      } finally {
        await started.server?.close()
      }
    }
  })

  it('turns limiting off with "off"', async () => {
    const started = await serve(['--rate-limit', 'off'])
    try {
      expect(new Set(await healthChecks(started.server!.url, 30))).toEqual(new Set([200]))
    } finally {
      await started.server?.close()
    }
  })

  it('refuses a value it cannot read as a usage error', async () => {
    const refused = await serve(['--rate-limit', 'lots'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('--rate-limit')
    expect(refused.server).toBeUndefined()
  })
})
