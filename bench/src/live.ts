import type { Bench } from './context.js'
import { runPropagation } from './propagation.js'

/**
 * Propagation A → server → B (live pokes beside poll-only) and server memory with idle live
 * streams, measured by `propagation.ts` on server processes and a database of its own.
 */
export const live: Bench = {
  name: 'live',
  async run(ctx) {
    const rows = await runPropagation({
      writes: ctx.size(200, 10),
      warmupWrites: ctx.warmups * ctx.size(10, 2),
      pollIntervalMs: 500,
      idleConnections: ctx.size(1_000, 100),
      sampling: ctx,
      log: ctx.log,
    })
    for (const row of rows) ctx.report(row)
  },
}
