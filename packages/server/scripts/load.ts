/**
 * Throughput of `POST /v1/sync` (one ~2 KB bundle per request, 50 connections) on SQLite and
 * Postgres, beside a bare Fastify route and raw 2 KB Postgres inserts measured in the same run.
 * Not a test: numbers depend on the machine.
 *
 *   node --import tsx --conditions=@tidings/source packages/server/scripts/load.ts [--duration 10]
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { ROUTES } from '@tidings/protocol'
import autocannon from 'autocannon'
import pg from 'pg'
import { addUser } from '../src/auth/users.js'
import { openStore } from '../src/store/kysely-store.js'
import { freshPostgres, postgresReachable } from '../src/testing/backends.js'
import { TestClient } from '../src/testing/fixtures.js'

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    users: { type: 'string', default: '50' },
  },
})
const duration = Number(values.duration)
const connections = Number(values.connections)
const userCount = Number(values.users)
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const VALUE = 'x'.repeat(200)

interface Row {
  name: string
  rps: number
  p50: number
  p99: number
  errors: number
}

const startChild = (
  args: string[],
  pattern: RegExp,
): Promise<{ child: ChildProcess; url: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@tidings/source', ...args],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const url = pattern.exec(out)?.[1]
      if (url) resolve({ child, url })
    })
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)))
  })

const stop = async (child: ChildProcess) => {
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

/**
 * Sync requests of one ~2 KB bundle each, round-robin over the users (a device per user),
 * made before the run so the load generator spends its time sending, not building bundles.
 */
const syncBodies = (tokens: string[], count = 30_000) => {
  const devices = tokens.map(() => new TestClient())
  const bodies = Array.from({ length: count }, (_, n) => {
    const i = n % tokens.length
    const device = devices[i] as TestClient
    return {
      token: tokens[i] as string,
      body: JSON.stringify(device.syncBody([device.bundle({ count: 5, value: VALUE })])),
    }
  })
  let next = 0
  // Past the prepared bodies, repeats are idempotent re-pushes (cheaper): keep runs short.
  return () => bodies[next++ % bodies.length] as { token: string; body: string }
}

const cannon = async (
  name: string,
  url: string,
  path: string,
  make: () => { token: string; body: string },
): Promise<Row> => {
  const result = await autocannon({
    url,
    connections,
    duration,
    requests: [
      {
        method: 'POST',
        path,
        setupRequest: (req: Record<string, unknown>) => {
          const { token, body } = make()
          return {
            ...req,
            body,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          }
        },
      },
    ],
  })
  const errors = result.errors + result.timeouts + result.non2xx
  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors,
  }
}

const measureSync = async (name: string, db: string): Promise<Row> => {
  const store = await openStore(db)
  const tokens: string[] = []
  for (let i = 0; i < userCount; i++) tokens.push((await addUser(store, `load-${i}`)).token)
  await store.close()
  const server = await startChild(
    ['packages/server/src/cli.ts', 'serve', '--quiet', '--port', '0', '--db', db],
    /listening on (\S+)/,
  )
  try {
    await cannon(`${name} warm-up`, server.url, ROUTES.sync, syncBodies(tokens))
    return await cannon(name, server.url, ROUTES.sync, syncBodies(tokens))
  } finally {
    await stop(server.child)
  }
}

/** The ceiling issue 9 compares against: 2 KB rows inserted by 50 connections, one per statement. */
const measureRawInserts = async (db: string): Promise<Row> => {
  const pool = new pg.Pool({ connectionString: db, max: connections })
  await pool.query('create table raw_load (id bigserial primary key, body text not null)')
  const body = 'y'.repeat(2048)
  let count = 0
  const latencies: number[] = []
  const end = Date.now() + duration * 1000
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < end) {
        const t = performance.now()
        await pool.query('insert into raw_load (body) values ($1)', [body])
        latencies.push(performance.now() - t)
        count++
      }
    }),
  )
  await pool.end()
  latencies.sort((a, b) => a - b)
  return {
    name: 'raw pg insert 2 KB',
    rps: count / duration,
    p50: latencies[Math.floor(latencies.length * 0.5)] ?? 0,
    p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0,
    errors: 0,
  }
}

const rows: Row[] = []
const bare = await startChild(['packages/server/scripts/bare-server.ts'], /listening on (\S+)/)
const sample = syncBodies(['-'], 1_000)
rows.push(await cannon('bare fastify route', bare.url, '/bare', sample))
await stop(bare.child)

const dir = await mkdtemp(join(tmpdir(), 'tidings-load-'))
rows.push(await measureSync('/v1/sync sqlite', `sqlite:${join(dir, 'load.db')}`))
await rm(dir, { recursive: true, force: true })

if (await postgresReachable()) {
  const database = await freshPostgres()
  try {
    rows.push(await measureSync('/v1/sync postgres', database.url))
    rows.push(await measureRawInserts(database.url))
  } finally {
    await database.dispose()
  }
} else console.warn('Postgres not reachable: measured SQLite only')

const bareRps = rows[0]?.rps ?? 1
console.log(
  `\n${connections} connections, ${duration} s each, ~${sample().body.length} B bodies, ${userCount} users\n`,
)
console.log('| run | req/s | p50 ms | p99 ms | errors | vs bare |')
console.log('| --- | ---: | ---: | ---: | ---: | ---: |')
for (const r of rows)
  console.log(
    `| ${r.name} | ${Math.round(r.rps)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} | ${(r.rps / bareRps).toFixed(2)} |`,
  )
