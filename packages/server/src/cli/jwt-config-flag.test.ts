import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROUTES } from '@tidings/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DevIssuer, startDevIssuer } from '../testing/jwt-issuer.js'
import { type CliIo, runTidings } from './main.js'

const serve = (args: string[], env: Record<string, string> = {}) => {
  const err: string[] = []
  const io: CliIo = { out: () => {}, err: (t) => err.push(t), env }
  return runTidings(['serve', '--port', '0', '--quiet', '--db', 'memory', ...args], io).then(
    (outcome) => ({ ...outcome, stderr: err.join('\n') }),
  )
}

describe('tidings serve --jwt-config', () => {
  let idp: DevIssuer
  let dir: string
  beforeAll(async () => {
    idp = await startDevIssuer()
    dir = await mkdtemp(join(tmpdir(), 'tidings-jwt-'))
  })
  afterAll(async () => {
    await idp.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('trusts the issuers of the file, or of TIDINGS_JWT_ISSUERS', async () => {
    const config = JSON.stringify({
      issuers: [{ issuer: idp.issuer, jwksUrl: idp.jwksUrl, audience: 'tidings' }],
    })
    const file = join(dir, 'jwt.json')
    await writeFile(file, config)
    for (const [args, env] of [
      [['--jwt-config', file], {}],
      [[], { TIDINGS_JWT_ISSUERS: config }],
    ] as Array<[string[], Record<string, string>]>) {
      const started = await serve(args, env)
      expect(started.stderr).toBe('')
      try {
        const answer = await fetch(started.server!.url + ROUTES.bundleIds, {
          headers: { authorization: `Bearer ${await idp.sign({ sub: 'alice' })}` },
        })
        expect(answer.status).toBe(200)
      } finally {
        await started.server?.close()
      }
    }
  })

  it('stops at startup on a bad config, naming the file and the field (exit code 2)', async () => {
    const file = join(dir, 'bad.json')
    await writeFile(file, JSON.stringify({ issuers: [{ issuer: 'x', jwksUrl: idp.jwksUrl }] }))
    const started = await serve(['--jwt-config', file])
    expect(started.code).toBe(2)
    expect(started.stderr).toContain(`--jwt-config ${file}: issuers[0] "audience"`)
    const missing = await serve(['--jwt-config', join(dir, 'nope.json')])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('cannot read it')
    const badKey = await serve([], {
      TIDINGS_JWT_ISSUERS: JSON.stringify([
        {
          issuer: 'x',
          audience: 'a',
          publicKey: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----',
        },
      ]),
    })
    expect(badKey.code).toBe(2)
    expect(badKey.stderr).toContain('publicKey is not a public key')
  })
})
