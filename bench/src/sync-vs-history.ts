import path from 'node:path'
import { type Bench, type BenchContext, makeRow, settle } from './context.js'
import { ratioAtMost } from './goals.js'
import { withSeededUser } from './seed.js'
import { sample, time } from './stats.js'
import { type Cell, fmt, sampled } from './table.js'
import { createDocs, loadTidings, syncAll } from './tidings.js'
import { docFields } from './workload.js'

/** One-event syncs kept per case (and the warm-ups before them). */
const SYNCS = 9

/**
 * A client that has synced `history` events changes one attribute and syncs: ms per sync, each
 * from a collected heap here and in the server. O(new) sync costs the same whatever the
 * history. Each case gets a new server process and database (`withSeededUser`), so the small
 * history is not measured on a server another benchmark filled.
 */
const oneEventSync = (ctx: BenchContext, history: number): Promise<Cell> =>
  withSeededUser(ctx, 'sqlite', history, async (seeded) => {
    const tidings = await loadTidings()
    const client = await tidings.open(path.join(ctx.tmp, `history-${history}.db`), {
      url: seeded.server.url,
      token: seeded.token,
    })
    try {
      await syncAll(client)
      await createDocs(client, [docFields(-1)])
      await client.sync()
      const [doc] = await client.fetch('document', {
        where: { author: docFields(-1).author },
        limit: 1,
      })
      if (!doc) throw new Error('the document just created is missing')
      const samples = await sample(
        { warmups: ctx.warmups, runs: Math.max(SYNCS, ctx.runs) },
        async (i) => {
          await client.update('document', doc.id, { note: `change ${i}` })
          return time(async () => {
            const result = await client.sync()
            if (result.pushed < 1)
              throw new Error(`sync pushed ${result.pushed} bundles, expected 1`)
          }, [seeded.server])
        },
      )
      return sampled(samples, 'ms')
    } finally {
      await client.close()
    }
  })

/** Sync cost of 1 new event after 1,000,000 (10,000 under --quick) vs after 1,000 events. */
export const syncVsHistory: Bench = {
  name: 'sync-vs-history',
  async run(ctx) {
    const big = ctx.size(1_000_000, 10_000)
    ctx.log('sync-vs-history: 1,000 events of history')
    const small = await settle(() => oneEventSync(ctx, 1_000))
    ctx.log(`sync-vs-history: ${big} events of history`)
    const large = await settle(() => oneEventSync(ctx, big))
    ctx.report(
      makeRow({
        bench: 'sync-vs-history',
        measure: `sync carrying 1 new event after ${fmt(big)} events of history, SQLite server (ms)`,
        ours: large,
        baseline: small,
        baselineName: 'same after 1,000 events, its own new server',
        goal: ratioAtMost(2, '≤ 2× of after 1k'),
      }),
    )
  },
}
