import path from 'node:path'
import { firstLine, spawnScript } from './child.js'
import { type Bench, type BenchContext, makeRow, settle } from './context.js'
import { sample } from './stats.js'
import { type Cell, fmt, sampled } from './table.js'

/**
 * Peak RSS, MiB, of a fresh process that fills and reads back `docs` documents: one process per
 * run, one after another (the warm-up run's process is discarded like any warm-up).
 */
const peakRss = async (ctx: BenchContext, mode: 'tidings' | 'raw', docs: number): Promise<Cell> => {
  const peaks = await sample(ctx, async (run) => {
    const child = spawnScript('./memory-process.ts', [
      mode,
      String(docs),
      path.join(ctx.tmp, `memory-${mode}-${run}.db`),
    ])
    const { rows, peakMiB } = await firstLine<{ rows: number; peakMiB: number }>(
      child,
      `memory (${mode})`,
      600_000,
    )
    if (rows !== docs) throw new Error(`${mode} read back ${rows} documents, expected ${docs}`)
    return peakMiB
  })
  return sampled(peaks, 'MiB')
}

/** Peak RSS of a client process holding 100,000 entities (2,000 under --quick). */
export const memory: Bench = {
  name: 'memory',
  async run(ctx) {
    const docs = ctx.size(100_000, 2_000)
    ctx.log(`memory: ${docs} entities`)
    // Ours and the baseline side by side (a peak RSS does not depend on speed; 2 cores).
    const [baseline, ours] = await Promise.all([
      settle(() => peakRss(ctx, 'raw', docs)),
      settle(() => peakRss(ctx, 'tidings', docs)),
    ])
    ctx.report(
      makeRow({
        bench: 'memory',
        measure: `peak RSS of a client process writing and reading back ${fmt(docs)} entities × 4 attributes (MiB)`,
        ours,
        baseline,
        baselineName: 'same rows with bare better-sqlite3',
      }),
    )
  },
}
