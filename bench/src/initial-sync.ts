import path from 'node:path'
import { type Bench, type BenchContext, makeRow, settle } from './context.js'
import { atMost } from './goals.js'
import { type Backend, withSeededUser } from './seed.js'
import { median, sample, time } from './stats.js'
import { type Cell, cell, fmt, sampled } from './table.js'
import { loadTidings, syncAll } from './tidings.js'

/** PowerSync's published figure for 1M ops, the only outside reference we have. */
const POWERSYNC_1M_SECONDS = 60

/**
 * A new client pulls every event of the seeded server: seconds end to end, each run a new file
 * client, each starting from a collected heap here and in the server process.
 */
export const initialSyncSeconds = async (
  ctx: BenchContext,
  backend: Backend,
  events: number,
): Promise<Cell> => {
  const tidings = await loadTidings()
  const seconds = await withSeededUser(ctx, backend, events, (seeded) =>
    sample(ctx, async (run) => {
      const client = await tidings.open(path.join(ctx.tmp, `initial-${backend}-${run}.db`), {
        url: seeded.server.url,
        token: seeded.token,
      })
      try {
        const ms = await time(() => syncAll(client), [seeded.server])
        if (run === 0) {
          const docs = (await client.fetch('document', {})).length
          if (docs * 4 !== events)
            throw new Error(`pulled ${docs} documents, expected ${events / 4}`)
        }
        return ms / 1000
      } finally {
        await client.close()
      }
    }),
  )
  return sampled(seconds, 's', (spread) => `${spread} (${fmt(events / median(seconds))} events/s)`)
}

/** Initial sync of 1,000,000 events (10,000 under --quick) from a SQLite and a Postgres server. */
export const initialSync: Bench = {
  name: 'initial-sync',
  async run(ctx) {
    const events = ctx.size(1_000_000, 10_000)
    for (const backend of ['sqlite', 'postgres'] as const) {
      ctx.log(`initial-sync: ${backend}, ${events} events`)
      const ours = await settle(() => initialSyncSeconds(ctx, backend, events))
      const scaled = (POWERSYNC_1M_SECONDS * events) / 1_000_000
      ctx.report(
        makeRow({
          bench: 'initial-sync',
          measure: `initial sync of ${fmt(events)} events, ${backend === 'sqlite' ? 'SQLite' : 'Postgres'} server, new file client (s)`,
          ours,
          baseline: cell(scaled, 's'),
          baselineName: `PowerSync's published ~60 s per 1M ops${events === 1_000_000 ? '' : ', scaled'}`,
          goal: atMost(
            (15 * events) / 1_000_000,
            events === 1_000_000 ? '≤ 15 s' : `≤ ${fmt((15 * events) / 1_000_000)} s (15 s per 1M)`,
          ),
        }),
      )
    }
  },
}
