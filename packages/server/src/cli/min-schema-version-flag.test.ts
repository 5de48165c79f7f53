import { formatHlc, newId, ROUTES } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { type CliIo, runTidings } from './main.js'

const serve = (args: string[], env: Record<string, string> = {}) => {
  const err: string[] = []
  const io: CliIo = { out: () => {}, err: (t) => err.push(t), env }
  return runTidings(['serve', '--port', '0', '--quiet', '--db', 'memory', ...args], io).then(
    (outcome) => ({ ...outcome, stderr: err.join('\n') }),
  )
}

/** An empty `POST /v1/sync` from an app of schema version `schema` (undefined: none declared). */
const syncAs = async (url: string, token: string, schema: number | undefined) => {
  const client = newId()
  const response = await fetch(url + ROUTES.sync, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      protocol: 3,
      client,
      hlc: formatHlc({ ms: Date.now(), counter: 0, node: client }),
      cursor: null,
      bundles: [],
      ...(schema !== undefined && { schema }),
    }),
  })
  const body = (await response.json()) as { error?: { code: string; details?: unknown } }
  return { status: response.status, code: body.error?.code, details: body.error?.details }
}

describe('tidings serve --min-schema-version', () => {
  it('refuses apps of an older schema version, or none, with 426 schema_too_old; serves the rest', async () => {
    const ways: Array<[string[], Record<string, string>]> = [
      [['--min-schema-version', '2'], {}],
      [[], { TIDINGS_MIN_SCHEMA_VERSION: '2' }],
    ]
    for (const [args, env] of ways) {
      const started = await serve(args, env)
      expect(started.code).toBe(0)
      try {
        const { url } = started.server!
        const { token } = await started.server!.addUser(`reader-${Date.now()}`)
        expect(await syncAs(url, token, 1)).toEqual({
          status: 426,
          code: 'schema_too_old',
          details: { minimum: 2, schema: 1 },
        })
        expect(await syncAs(url, token, undefined)).toMatchObject({
          status: 426,
          code: 'schema_too_old',
          details: { minimum: 2, schema: null },
        })
        expect((await syncAs(url, token, 2)).status).toBe(200)
        expect((await syncAs(url, token, 3)).status).toBe(200)
        // A bad token is still told so, never which schema the server wants.
        expect((await syncAs(url, 'not-a-token', 1)).status).toBe(401)
      } finally {
        await started.server?.close()
      }
    }
  })

  it('serves every app without the flag, those that declare no version included', async () => {
    const started = await serve([])
    try {
      const { token } = await started.server!.addUser(`any-${Date.now()}`)
      expect((await syncAs(started.server!.url, token, undefined)).status).toBe(200)
      expect((await syncAs(started.server!.url, token, 1)).status).toBe(200)
    } finally {
      await started.server?.close()
    }
  })

  it('refuses a value that is not a positive whole number as a usage error', async () => {
    for (const value of ['0', '-1', 'two', '1.5']) {
      const refused = await serve(['--min-schema-version', value])
      expect(refused.code).toBe(2)
      expect(refused.stderr).toContain('--min-schema-version')
      expect(refused.server).toBeUndefined()
    }
  })
})
