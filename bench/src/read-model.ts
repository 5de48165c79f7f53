import { withServer } from './child.js'
import { type Bench, type BenchContext, makeRow, settle } from './context.js'
import { collect } from './gc.js'
import { CONNECTIONS, type LoadWindow, loadSync, syncConnections, windowText } from './load.js'
import { loadRuns, summarize } from './load-runs.js'
import { withTempDatabase } from './pg.js'
import { percentile, sample } from './stats.js'
import { sampled } from './table.js'

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
    // On and off in the same run, each case on a fresh database and server process.
    const throughput = (on: boolean) =>
      settle(async () =>
        summarize(
          await withTempDatabase((url) =>
            withServer({ kind: 'tidings', db: url, users: CONNECTIONS, readModel: on }, (s) => {
              const connections = syncConnections(s.tokens)
              return loadRuns(ctx, [s], () => loadSync(s.url, connections, window))
            }),
          ),
        ),
      )
    ctx.log(`read-model: /v1/sync pushes on Postgres, read model off, ${windowText(window)}`)
    const off = await throughput(false)
    ctx.log('read-model: the same with the read model on')
    const on = await throughput(true)
    ctx.report(
      makeRow({
        bench,
        measure: `/v1/sync push, one ~2 KB bundle, ${CONNECTIONS} connections, Postgres, read model on (req/s)`,
        ours: on,
        baseline: off,
        baselineName: 'the same with the read model off (serve --no-read-model)',
        note: 'a projector beside the push path',
      }),
    )
    ctx.log(`read-model: lag under ${CONNECTIONS} clients pushing flat out`)
    const lags = await settle(async () => {
      const runs = await withTempDatabase((url) =>
        withServer({ kind: 'tidings', db: url, users: CONNECTIONS, readModel: 'lag' }, (s) => {
          const connections = syncConnections(s.tokens)
          return sample(ctx, async () => {
            await collect([s])
            await drainedLags(() => s.readModelLag()) // forget what came before
            await loadSync(s.url, connections, window)
            const measured = await drainedLags(() => s.readModelLag())
            if (measured.length === 0) throw new Error('no push was measured')
            return { p50: percentile(measured, 50), p99: percentile(measured, 99) }
          })
        }),
      )
      const p99 = sampled(
        runs.map((r) => r.p99),
        'ms',
      )
      const cell = sampled(
        runs.map((r) => r.p50),
        'ms',
        (spread) => `p50 ${spread}, p99 ${p99.text}`,
      )
      cell.extra = { p99: runs.map((r) => r.p99) }
      return cell
    })
    ctx.report(
      makeRow({
        bench,
        measure: `read-model lag: push acknowledged → in the read model, ${CONNECTIONS} clients pushing, Postgres (ms)`,
        ours: lags,
        baseline: null,
        note: 'p50, and p99 beside it; every push of the window',
      }),
    )
  },
}
