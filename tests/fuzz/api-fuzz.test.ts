import { newId, ROUTES, routePath } from '@tidings/protocol'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  postgresReachable,
  type TempDatabase,
  tempPostgres,
  tempSqlite,
} from '../support/databases.js'
import { seedFrom } from '../support/prng.js'
import { addUser, type ServerProcess, spawnServer, type User } from '../support/server-process.js'
import { bundleIds, call } from '../support/wire.js'
import { type FuzzRequest, fuzzRequest } from './generators.js'
import { validSync } from './samples.js'
import { send, trickle } from './send.js'

const REQUESTS = Number(process.env.TIDINGS_FUZZ_REQUESTS ?? 1000)
const SEED = seedFrom(process.env.TIDINGS_SEED)
/** Small enough that over-limit bodies are cheap to send; the limit itself is what is tested. */
const MAX_BODY = 256 * 1024
/** Generous: a leak of a few KB per request over thousands of requests still shows. */
const RSS_GROWTH_LIMIT = 256 * 1024 * 1024

/** Named for what really runs: without a reachable Postgres the dialect runs on PGlite. */
const backends: Array<[string, () => Promise<TempDatabase>]> = [
  ['sqlite', async () => tempSqlite()],
  [(await postgresReachable()) ? 'postgres' : 'pglite', () => tempPostgres('fuzz')],
]

describe.each(backends)('API fuzzing on %s', (_name, makeDb) => {
  let db: TempDatabase
  let server: ServerProcess
  let user: User
  const client = newId()
  const statuses = new Map<number, number>()
  const labels = new Map<string, number>()
  /** Bundle ids the server acknowledged in a 2xx answer: the only ones it may hold. */
  const acknowledged = new Set<string>()
  let before: string[] = []

  beforeAll(async () => {
    db = await makeDb()
    user = await addUser(db.url, 'fuzzer')
    server = await spawnServer({
      db: db.url,
      // One user sends every request as fast as it can: the per-user rate limit is not under test.
      extraArgs: ['--max-body-bytes', String(MAX_BODY), '--rate-limit', 'off'],
      env: { LOG_LEVEL: 'warn' },
    })
    // Register the fuzzer's client with one good push, so fuzzed pushes reach the storage code.
    const first = await call(server.url, ROUTES.sync, {
      token: user.token,
      json: validSync(client),
    })
    expect(first.status).toBe(200)
    for (const id of (first.body as { accepted: string[] }).accepted) acknowledged.add(id)
    before = await bundleIds(server.url, user.token)
  })

  afterAll(async () => {
    await server?.stop()
    await db?.drop()
  })

  const record = (request: FuzzRequest, status: number, text: string) => {
    statuses.set(status, (statuses.get(status) ?? 0) + 1)
    labels.set(request.label.split(' ')[0] as string, (labels.get(request.label) ?? 0) + 1)
    if (status >= 200 && status < 300 && request.path === ROUTES.sync) {
      const accepted = (JSON.parse(text) as { accepted?: string[] }).accepted ?? []
      for (const id of accepted) acknowledged.add(id)
    }
    // The server-side writer's route acknowledges the one bundle it wrote.
    if (
      status >= 200 &&
      status < 300 &&
      request.path === routePath(ROUTES.writes, { space: user.id })
    )
      acknowledged.add((JSON.parse(text) as { bundle: string }).bundle)
  }

  it(
    `answers ${REQUESTS} adversarial requests without a 5xx, a crash or unbounded memory (seed ${SEED})`,
    async () => {
      const rssBefore = server.rssBytes()
      await fc.assert(
        fc.asyncProperty(
          fuzzRequest({ token: user.token, client, space: user.id }),
          async (request) => {
            const sent = await send(server.url, request)
            record(request, sent.status, sent.text)
            if (sent.status >= 500 || sent.status === 0)
              throw new Error(
                `${request.label}: ${sent.status} ${sent.error ?? sent.text.slice(0, 300)}`,
              )
            // A good bundle beside a bad one authenticates fine, so only the bad one can refuse it.
            if (
              request.label.includes('partial') &&
              request.headers.authorization === `Bearer ${user.token}` &&
              sent.status < 400
            )
              throw new Error(
                `${request.label}: accepted (${sent.status}) a request with a bad bundle`,
              )
            // Every refusal is machine-readable, { error: { code, message } }, except those that
            // Node's HTTP parser answers itself before the app sees the request (431, or a bare 400).
            if (
              sent.status >= 400 &&
              request.method !== 'HEAD' &&
              !(sent.status === 431 || sent.text === '')
            ) {
              const body = JSON.parse(sent.text) as { error?: { code?: unknown } }
              if (typeof body.error?.code !== 'string')
                throw new Error(
                  `${request.label}: ${sent.status} without an error code: ${sent.text.slice(0, 200)}`,
                )
            }
          },
        ),
        { seed: SEED, numRuns: REQUESTS, endOnFailure: true },
      )
      const rssAfter = server.rssBytes()
      console.log(
        `[fuzz ${_name}] seed ${SEED}: ${REQUESTS} requests; statuses ${JSON.stringify(Object.fromEntries(statuses))}; ` +
          `RSS ${(rssBefore / 2 ** 20).toFixed(0)} MB -> ${(rssAfter / 2 ** 20).toFixed(0)} MB (limit +${RSS_GROWTH_LIMIT / 2 ** 20} MB)`,
      )
      expect(server.alive()).toBe(true)
      expect(rssAfter - rssBefore).toBeLessThan(RSS_GROWTH_LIMIT)
      // The mix proves the fuzzer reached both sides of validation: a run where every request
      // bounced off the parser (or all passed) would test far less than it claims.
      const count = (low: number, high: number) =>
        [...statuses].filter(([s]) => s >= low && s < high).reduce((n, [, c]) => n + c, 0)
      expect(count(200, 300)).toBeGreaterThan(REQUESTS / 50)
      expect(count(400, 500)).toBeGreaterThan(REQUESTS / 10)
      expect(statuses.has(401)).toBe(true)
    },
    120_000 + REQUESTS * 50,
  )

  it('refuses bodies over the limit, 0-byte bodies and slow trickled bodies without a 5xx', async () => {
    const auth = { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' }
    const big = JSON.stringify({ ...validSync(client), pad: 'x'.repeat(MAX_BODY) })
    const over = await send(server.url, {
      label: 'over limit',
      method: 'POST',
      path: ROUTES.sync,
      headers: auth,
      body: big,
    })
    expect(over.status).toBe(413)
    const empty = await send(server.url, {
      label: 'empty',
      method: 'POST',
      path: ROUTES.sync,
      headers: auth,
      body: '',
    })
    expect(empty.status).toBe(400)
    const good = validSync(client)
    const body = JSON.stringify(good)
    // Several at once: one slow client must not hold the others up.
    const slow = await Promise.all([
      trickle(server.url, { path: ROUTES.sync, token: user.token, body, chunk: 16, everyMs: 5 }),
      trickle(server.url, {
        path: ROUTES.sync,
        token: user.token,
        body: '{"client":',
        declaredLength: 500,
        chunk: 2,
        everyMs: 50,
        stopAfter: 10,
      }),
      trickle(server.url, {
        path: ROUTES.getBundles,
        token: user.token,
        body: '{"ids":[]}',
        chunk: 1,
        everyMs: 20,
      }),
    ])
    const health = await call(server.url, ROUTES.health)
    console.log(
      `[fuzz ${_name}] over-limit ${over.status}, empty ${empty.status}, slow bodies ${slow.join(',')}`,
    )
    expect(slow[0]).toBe(200)
    expect(slow[1]).toBeLessThan(500)
    expect(slow[2]).toBe(200)
    expect(health.status).toBe(200)
    for (const b of good.bundles) acknowledged.add(b.id)
  })

  it('stored nothing from a refused request: every bundle it holds was acknowledged', async () => {
    const after = await bundleIds(server.url, user.token)
    const unacknowledged = after.filter((id) => !acknowledged.has(id))
    console.log(
      `[fuzz ${_name}] bundles before ${before.length}, after ${after.length}, acknowledged ${acknowledged.size}`,
    )
    expect(unacknowledged).toEqual([])
    expect(before.every((id) => after.includes(id))).toBe(true)
    expect(server.logs()).not.toMatch(/unexpected error/)
  })
})
