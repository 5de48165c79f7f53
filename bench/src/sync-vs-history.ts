import path from 'node:path'
import { type Bench, type BenchContext, makeRow, ratioAtMost, settle } from './context.js'
import { seededUser } from './seed.js'
import { median, repeat, time } from './stats.js'
import { type Cell, cell, fmt } from './table.js'
import { createDocs, loadTidings, syncAll } from './tidings.js'
import { docFields } from './workload.js'

const SYNCS = 9

/**
 * A client that has synced `history` events changes one attribute and syncs: ms per sync, median
 * of several. O(new) sync costs the same whatever the history.
 */
const oneEventSync = async (ctx: BenchContext, history: number): Promise<Cell> => {
  const seeded = await seededUser(ctx, 'sqlite', history)
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
    const samples = await repeat(Math.max(SYNCS, ctx.runs), async (i) => {
      await client.update('document', doc.id, { note: `change ${i}` })
      return time(async () => {
        const result = await client.sync()
        if (result.pushed < 1) throw new Error(`sync pushed ${result.pushed} bundles, expected 1`)
      })
    })
    return cell(median(samples), 'ms', { samples })
  } finally {
    await client.close()
  }
}

/** Sync cost of 1 new event after 1,000,000 (50,000 under --quick) vs after 1,000 events. */
export const syncVsHistory: Bench = {
  name: 'sync-vs-history',
  async run(ctx) {
    const big = ctx.size(1_000_000, 50_000)
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
        baselineName: 'same after 1,000 events',
        goal: ratioAtMost(2, '≤ 2× of after 1k'),
      }),
    )
  },
}
