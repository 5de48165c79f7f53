import { DEFAULT_LIMITS, isTidingsError, ROUTES } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { memoryClient } from '../test/fixtures.js'
import { Transport } from './transport.js'

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

describe('transport', () => {
  it('retries 5xx answers with backoff, then succeeds', async () => {
    const answers = [
      json(503, { error: { code: 'unavailable', message: 'busy' } }),
      json(500, { error: { code: 'internal', message: 'oops' } }),
      json(200, { ids: [] }),
    ]
    const waits: number[] = []
    const transport = new Transport(
      {
        url: 'http://127.0.0.1:9',
        token: 't',
        fetch: async () => answers.shift()!,
        backoffMs: 100,
      },
      DEFAULT_LIMITS,
      Date.now,
      async (ms) => {
        waits.push(ms)
      },
    )
    expect((await transport.get(ROUTES.bundleIds, 'bundleIdsResponse')).body).toEqual({ ids: [] })
    expect(waits).toHaveLength(2)
    expect(waits[0]).toBeLessThanOrEqual(100) // full jitter: uniform in [0, base·2^n]
    expect(waits[1]).toBeLessThanOrEqual(200)
  })

  it('gives up after its attempts with the last error, and answers 4xx at once', async () => {
    let calls = 0
    const failing = new Transport(
      {
        url: 'http://127.0.0.1:9',
        token: 't',
        attempts: 3,
        fetch: async () => {
          calls += 1
          return json(503, { error: { code: 'unavailable', message: 'down' } })
        },
      },
      DEFAULT_LIMITS,
      Date.now,
      async () => {},
    )
    await expect(failing.get(ROUTES.bundleIds, 'bundleIdsResponse')).rejects.toSatisfy((e) =>
      isTidingsError(e, 'unavailable'),
    )
    expect(calls).toBe(3)
    const refused = new Transport(
      {
        url: 'http://127.0.0.1:9',
        token: 't',
        fetch: async () => json(413, { error: { code: 'too_large', message: 'big' } }),
      },
      DEFAULT_LIMITS,
    )
    await expect(refused.post(ROUTES.sync, {}, 'syncResponse')).rejects.toSatisfy((e) =>
      isTidingsError(e, 'too_large'),
    )
  })

  it('waits at least as long as a 429 or 503 Retry-After asks before trying again', async () => {
    const answers = [
      json(429, { error: { code: 'rate_limited', message: 'slow down' } }),
      json(503, { error: { code: 'unavailable', message: 'busy' } }),
      json(200, { ids: [] }),
    ]
    answers[0]!.headers.set('retry-after', '2')
    answers[1]!.headers.set('retry-after', new Date(Date.now() + 60_000).toUTCString())
    const waits: number[] = []
    const transport = new Transport(
      { url: 'http://127.0.0.1:9', token: 't', fetch: async () => answers.shift()!, backoffMs: 1 },
      DEFAULT_LIMITS,
      Date.now,
      async (ms) => {
        waits.push(ms)
      },
    )
    // The second answer asks for a minute: more than a request waits, so it is handed up.
    await expect(transport.get(ROUTES.bundleIds, 'bundleIdsResponse')).rejects.toSatisfy(
      (e) =>
        isTidingsError(e, 'unavailable') &&
        (e.details as { retryAfterMs: number }).retryAfterMs > 30_000,
    )
    expect(waits).toEqual([2_000])
    expect((await transport.get(ROUTES.bundleIds, 'bundleIdsResponse')).body).toEqual({ ids: [] })
  })

  it('reports the client offline when no server answers', async () => {
    const client = await memoryClient({
      server: { url: 'http://127.0.0.1:1', token: 't', attempts: 2, backoffMs: 1 },
    })
    await client.create('document', { author: 'a', title: 'waiting' })
    await expect(client.sync()).rejects.toSatisfy((e) => isTidingsError(e, 'unavailable'))
    expect(client.status).toMatchObject({
      state: 'offline',
      pending: 1,
      error: { code: 'unavailable' },
    })
    await client.close()
  })
})
