import { type ServerHandle, withServer } from './child.js'
import { type Bench, type BenchContext, makeRow, settle } from './context.js'
import { collect } from './gc.js'
import {
  CONNECTIONS,
  type LoadResult,
  type LoadWindow,
  loadSync,
  syncConnections,
  windowText,
} from './load.js'
import { summarize } from './load-runs.js'
import { withTempDatabase } from './pg.js'
import { interleave, percentile } from './stats.js'
import { type Cell, sampled } from './table.js'

interface Lag {
  p50: number
  p99: number
}

/**
 * The SQL read model (packages/server/src/read-model): what it costs a push, and how far it
 * trails. It is a projector beside the push path, so a push's transaction is untouched; the
 * cost is the projector's share of the database and the server's CPU, and its lag.
 */

/** Waits until every acknowledged push is projected (or `ms` pass), then takes the lags. */
const drainedLags = async (
  take: () => Promise<{ lags: number[]; waiting: number }>,
  ms = 30_000,
): Promise<number[]> => {
  const lags: number[] = []
  const deadline = Date.now() + ms
  for (;;) {
    const { lags: more, waiting } = await take()
    lags.push(...more)
    if (waiting === 0) return lags
    if (Date.now() > deadline) throw new Error(`${waiting} pushes not projected after ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

export const readModel: Bench = {
  name: 'read-model',
  async run(ctx: BenchContext) {
    const bench = 'read-model'
    const window: LoadWindow = ctx.quick ? { requests: 2 * CONNECTIONS } : { seconds: 10 }
    ctx.log(
      `read-model: /v1/sync pushes on Postgres, read model on and off in turns, ${windowText(window)}`,
    )
    // Both servers up at once, each on a fresh database, sampled in turns (`interleave`) so a
    // change in the machine's load falls on both alike; before each sample the read model has
    // caught up, so no side inherits the other's projection work.
    const results = { on: [] as LoadResult[], off: [] as LoadResult[], lags: [] as Lag[] }
    const measured = await settle(async () => {
      await withTempDatabase((offUrl) =>
        withTempDatabase((onUrl) =>
          withServer({ kind: 'tidings', db: offUrl, users: CONNECTIONS, readModel: false }, (off) =>
            withServer(
              { kind: 'tidings', db: onUrl, users: CONNECTIONS, readModel: 'lag' },
              (on) => {
                const connections = {
                  off: syncConnections(off.tokens),
                  on: syncConnections(on.tokens),
                }
                const side = (name: 'on' | 'off', server: ServerHandle) => async (run: number) => {
                  await drainedLags(() => on.readModelLag())
                  await collect([off, on])
                  const result = await loadSync(server.url, connections[name], window)
                  if (run >= ctx.warmups) results[name].push(result)
                  if (name === 'on') {
                    const lags = await drainedLags(() => on.readModelLag())
                    if (lags.length === 0) throw new Error('no push was measured')
                    if (run >= ctx.warmups)
                      results.lags.push({ p50: percentile(lags, 50), p99: percentile(lags, 99) })
                  }
                  return result.rps
                }
                return interleave(ctx, { off: side('off', off), on: side('on', on) })
              },
            ),
          ),
        ),
      )
      return summarize(results.on)
    })
    ctx.report(
      makeRow({
        bench,
        measure: `/v1/sync push, one ~2 KB bundle, ${CONNECTIONS} connections, Postgres, read model on (req/s)`,
        ours: measured,
        baseline: results.off.length > 0 ? summarize(results.off) : null,
        baselineName: 'the same with the read model off (serve --no-read-model), in turns',
        note: 'a projector beside the push path',
      }),
    )
    const lag = (): Cell => {
      const p99 = sampled(
        results.lags.map((r) => r.p99),
        'ms',
      )
      const cell = sampled(
        results.lags.map((r) => r.p50),
        'ms',
        (spread) => `p50 ${spread}, p99 ${p99.text}`,
      )
      cell.extra = { p99: results.lags.map((r) => r.p99) }
      return cell
    }
    ctx.report(
      makeRow({
        bench,
        measure: `read-model lag: push acknowledged → in the read model, ${CONNECTIONS} clients pushing, Postgres (ms)`,
        ours: await settle(async () => lag()),
        baseline: null,
        note: 'p50, and p99 beside it; every push of each window',
      }),
    )
  },
}
