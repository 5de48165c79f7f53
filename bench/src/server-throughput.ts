import { HybridClock, newId, SYNC_PROTOCOL } from '@tidings/protocol'
import pg from 'pg'
import { withServer } from './child.js'
import { type Bench, type BenchContext, makeRow, ratioAtLeast, settle } from './context.js'
import { jwtThroughputRow } from './jwt-throughput.js'
import {
  CONNECTIONS,
  type LoadResult,
  loadBare,
  loadSync,
  syncConnections,
  twoKbBundle,
} from './load.js'
import { withTempDatabase } from './pg.js'
import { takeUsers } from './seed.js'
import { median, repeat } from './stats.js'
import { type Cell, cell, fmt } from './table.js'

const PG_CONNECTIONS = 8

/** Median run by requests per second, shown with its latencies. */
const summarize = (runs: LoadResult[], unit = 'req/s'): Cell => {
  const rps = runs.map((r) => r.rps)
  const mid = median(rps)
  const best = runs.reduce((a, b) => (Math.abs(a.rps - mid) <= Math.abs(b.rps - mid) ? a : b))
  const c = cell(mid, unit, {
    samples: rps,
    text: `${fmt(mid)} ${unit} (p50 ${fmt(best.p50)} ms, p99 ${fmt(best.p99)} ms)`,
  })
  c.extra = { p50: best.p50, p99: best.p99, bodyBytes: best.bodyBytes }
  return c
}

/**
 * Raw `pg`: one ~2 KB bundle inserted per transaction on 8 connections for `seconds` — the
 * rate the database alone sustains, which the server's Postgres backend is held against.
 */
const rawPgInserts = async (url: string, seconds: number): Promise<number> => {
  const pool = new pg.Pool({ connectionString: url, max: PG_CONNECTIONS })
  // An idle connection ended by the server (the database is dropped with force afterwards)
  // must not crash the run; a failing query still rejects where it is awaited.
  pool.on('error', (error) => console.error(`raw pg: idle connection closed: ${error.message}`))
  try {
    await pool.query(
      'create table if not exists bundles (id uuid primary key, stream text not null, body jsonb not null)',
    )
    const deadline = Date.now() + seconds * 1000
    let done = 0
    const start = performance.now()
    await Promise.all(
      Array.from({ length: PG_CONNECTIONS }, async () => {
        const client = newId()
        const clock = new HybridClock({ node: client })
        const conn = await pool.connect()
        try {
          while (Date.now() < deadline) {
            const bundle = twoKbBundle(client, clock)
            await conn.query('insert into bundles (id, stream, body) values ($1, $2, $3)', [
              bundle.id,
              'bench',
              JSON.stringify(bundle),
            ])
            done++
          }
        } finally {
          conn.release()
        }
      }),
    )
    return (done * 1000) / (performance.now() - start)
  } finally {
    await pool.end()
  }
}

/** `/v1/sync` pushes of one ~2 KB bundle at 50 connections, beside the bare route and raw pg. */
export const serverThroughput: Bench = {
  name: 'server-throughput',
  async run(ctx: BenchContext) {
    const seconds = ctx.size(10, 1)
    const bench = 'server-throughput'
    ctx.log(`server-throughput: bare route, ${seconds} s × ${ctx.runs}`)
    const bare = await settle(async () =>
      summarize(
        await withServer({ kind: 'bare' }, (s) => repeat(ctx.runs, () => loadBare(s.url, seconds))),
      ),
    )
    ctx.log('server-throughput: /v1/sync on SQLite')
    const sqlite = await settle(async () => {
      // The run's shared SQLite server, with 50 users no other benchmark touches.
      const { server, tokens } = await takeUsers(ctx, CONNECTIONS)
      const connections = syncConnections(tokens)
      return summarize(await repeat(ctx.runs, () => loadSync(server.url, connections, seconds)))
    })
    ctx.report(
      makeRow({
        bench,
        measure: `/v1/sync push, one ~2 KB bundle, ${CONNECTIONS} connections, SQLite (req/s)`,
        ours: sqlite,
        baseline: bare,
        baselineName: 'bare Fastify route, same body',
      }),
    )
    await jwtThroughputRow(ctx, seconds, summarize)
    ctx.log('server-throughput: raw pg inserts')
    const raw = await settle(async () => {
      const rates = await withTempDatabase((url) =>
        repeat(ctx.runs, () => rawPgInserts(url, seconds)),
      )
      return cell(median(rates), 'tx/s', { samples: rates })
    })
    ctx.log('server-throughput: /v1/sync on Postgres')
    const onPostgres = (protocol: number) =>
      settle(async () =>
        summarize(
          await withTempDatabase((url) =>
            withServer({ kind: 'tidings', db: url, users: CONNECTIONS }, (s) => {
              const connections = syncConnections(s.tokens)
              return repeat(ctx.runs, () => loadSync(s.url, connections, seconds, protocol))
            }),
          ),
        ),
      )
    const postgres = await onPostgres(SYNC_PROTOCOL)
    ctx.log('server-throughput: /v1/sync on Postgres, plain cursors (released clients)')
    const plain = await onPostgres(1)
    const p99Goal = ratioAtLeast(0.7, '≥ 70% of raw pg, p99 ≤ 50 ms')
    ctx.report(
      makeRow({
        bench,
        measure: `/v1/sync push, one ~2 KB bundle, ${CONNECTIONS} connections, Postgres (req/s)`,
        ours: postgres,
        baseline: raw,
        baselineName: `raw pg insert of one 2 KB bundle per transaction, ${PG_CONNECTIONS} connections`,
        goal: {
          text: p99Goal.text,
          met: (ours, ratio) => p99Goal.met(ours, ratio) && (ours.extra?.p99 ?? Infinity) <= 50,
        },
      }),
    )
    ctx.report(
      makeRow({
        bench,
        measure: `/v1/sync push on Postgres: marked cursors, checked per request (req/s)`,
        ours: postgres,
        baseline: plain,
        baselineName: 'the same with plain cursors, as released clients send (no check)',
        note: 'what invariant 7 costs',
      }),
    )
    ctx.report(
      makeRow({
        bench,
        measure: `bare Fastify route, same ~2 KB body, ${CONNECTIONS} connections (req/s)`,
        ours: null,
        baseline: bare,
        note: 'reference',
      }),
    )
  },
}
