import path from 'node:path'
import { type Bench, type BenchContext, makeRow, ratioAtLeast, settle } from './context.js'
import { rawInsertRate } from './local-write.js'
import { seededServer } from './seed.js'
import { median, perSecond, repeat, time } from './stats.js'
import { cell, type Cell, fmt } from './table.js'
import { loadTidings, syncAll } from './tidings.js'

/**
 * A new client pulls and applies bundles totalling `events` (1,000 events a bundle) from a local
 * server: events/s of the whole pull, HTTP and validation included.
 */
const applyRate = async (ctx: BenchContext, events: number): Promise<Cell> => {
  const seeded = await seededServer(ctx, 'sqlite', events)
  const tidings = await loadTidings()
  const rates = await repeat(ctx.runs, async (run) => {
    const client = await tidings.open(path.join(ctx.tmp, `apply-${run}.db`), { url: seeded.server.url, token: seeded.token })
    try {
      return perSecond(events, await time(() => syncAll(client)))
    } finally {
      await client.close()
    }
  })
  return cell(median(rates), 'events/s', { samples: rates })
}

/** Remote apply of pulled bundles totalling 100,000 events (20,000 under --quick). */
export const remoteApply: Bench = {
  name: 'remote-apply',
  async run(ctx) {
    const events = ctx.size(100_000, 20_000)
    ctx.log(`remote-apply: ${events} events`)
    const baseline = await settle(() => rawInsertRate(ctx, 'remote-apply', events / 4, false))
    const ours = await settle(() => applyRate(ctx, events))
    ctx.report(
      makeRow({
        bench: 'remote-apply',
        measure: `remote apply: pulled bundles totalling ${fmt(events)} events into a file client (events/s)`,
        ours,
        baseline,
        baselineName: 'raw better-sqlite3 insert, bare table',
        goal: ratioAtLeast(0.4, '≥ 40% of raw insert'),
        note: 'pull through a local server',
      }),
    )
  },
}
