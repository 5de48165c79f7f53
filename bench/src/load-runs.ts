import type { BenchContext } from './context.js'
import { type Collectable, collect } from './gc.js'
import type { LoadResult } from './load.js'
import { median, sample } from './stats.js'
import { type Cell, sampled, spreadText } from './table.js'

/**
 * Requests per second over the kept runs, median [min–max], with the runs' p50 and p99
 * latencies likewise (every run's figures stay in the JSON file).
 */
export const summarize = (runs: readonly LoadResult[], unit = 'req/s'): Cell => {
  const p50 = runs.map((r) => r.p50)
  const p99 = runs.map((r) => r.p99)
  const ms = (values: number[]): string =>
    spreadText(median(values), Math.min(...values), Math.max(...values), 'ms')
  const c = sampled(
    runs.map((r) => r.rps),
    unit,
    (spread) => `${spread} (p50 ${ms(p50)}, p99 ${ms(p99)})`,
  )
  c.extra = { p50, p99, bodyBytes: runs[0]?.bodyBytes ?? 0 }
  return c
}

/**
 * Load runs, the warm-up first and discarded, each starting from a collected heap here (the
 * load generator) and in `servers` (the processes under load).
 */
export const loadRuns = (
  ctx: BenchContext,
  servers: readonly Collectable[],
  fn: () => Promise<LoadResult>,
): Promise<LoadResult[]> =>
  sample(ctx, async () => {
    await collect(servers)
    return fn()
  })
