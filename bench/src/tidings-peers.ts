import path from 'node:path'
import { withServer } from './child.js'
import type { BenchContext } from './context.js'
import { timeSamples } from './stats.js'
import { type Cell, sampled } from './table.js'
import { createDocs, loadTidings, syncAll } from './tidings.js'
import { docFields } from './workload.js'

/**
 * The peers workload on Tidings, persisted: replica A (a file client) sets n entities × 4
 * attributes in one transaction per 2,500 and pushes; replica B (an empty file client of the
 * same user) pulls and reads them back. The benchmark gets a server process and database of its
 * own; each run is a new user of it, so B sees only that run's entities.
 */
export const tidingsPeers = async (ctx: BenchContext, n: number): Promise<Cell> => {
  const tidings = await loadTidings()
  const fields = Array.from({ length: n }, (_, i) => docFields(i))
  const spec = {
    kind: 'tidings' as const,
    db: `sqlite:${path.join(ctx.tmp, 'peers-server.db')}`,
    users: ctx.warmups + ctx.runs,
  }
  const samples = await withServer(spec, (server) =>
    timeSamples(
      ctx,
      async (run) => {
        const token = server.tokens[run] as string
        const a = await tidings.open(path.join(ctx.tmp, `peers-a-${run}.db`), {
          url: server.url,
          token,
        })
        const b = await tidings.open(path.join(ctx.tmp, `peers-b-${run}.db`), {
          url: server.url,
          token,
        })
        try {
          await createDocs(a, fields)
          await syncAll(a)
          await syncAll(b)
          const read = (await b.fetch('document', {})).length
          if (read !== n) throw new Error(`replica B read back ${read} entities, expected ${n}`)
        } finally {
          await a.close()
          await b.close()
        }
      },
      [server],
    ),
  )
  return sampled(samples, 'ms')
}
