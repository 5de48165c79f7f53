import path from 'node:path'
import { type Bench, type BenchContext, makeRow, ratioAtLeast, settle } from './context.js'
import { openRaw, rawInsert } from './raw-sqlite.js'
import { median, perSecond, repeat, time } from './stats.js'
import { type Cell, cell, fmt } from './table.js'
import { createDocs, DOCS_PER_TRANSACTION, loadTidings } from './tidings.js'
import { docFields, eventsFor, makeEvents } from './workload.js'

/**
 * Raw better-sqlite3 insert of the events of `docs` documents into a fresh file, in transactions
 * of one bundle's worth, events/s (median of runs).
 */
export const rawInsertRate = async (
  ctx: BenchContext,
  label: string,
  docs: number,
  lww: boolean,
): Promise<Cell> => {
  const events = makeEvents(docs)
  const perTransaction = eventsFor(DOCS_PER_TRANSACTION)
  const rates = await repeat(ctx.runs, async (run) => {
    const db = openRaw(path.join(ctx.tmp, `${label}-${lww ? 'lww' : 'raw'}-${run}.db`))
    try {
      return perSecond(events.length, await time(() => rawInsert(db, events, lww, perTransaction)))
    } finally {
      db.close()
    }
  })
  return cell(median(rates), 'events/s', { samples: rates })
}

/**
 * Create N documents × 4 attributes through the public API, 2,500 documents (10,000 events, the
 * most one bundle carries) per transaction.
 */
export const localWrite: Bench = {
  name: 'local-write',
  async run(ctx) {
    const docs = ctx.size(25_000, 5_000)
    const transactions = Math.ceil(docs / DOCS_PER_TRANSACTION)
    const events = eventsFor(docs)
    ctx.log(`local-write: raw baselines, ${events} events`)
    const raw = await settle(() => rawInsertRate(ctx, 'local-write', docs, false))
    const lww = await settle(() => rawInsertRate(ctx, 'local-write', docs, true))
    ctx.log('local-write: Tidings')
    const ours = await settle(async () => {
      const tidings = await loadTidings()
      const fields = Array.from({ length: docs }, (_, i) => docFields(i))
      const rates = await repeat(ctx.runs, async (run) => {
        const client = await tidings.open(path.join(ctx.tmp, `local-write-tidings-${run}.db`))
        try {
          return perSecond(events, await time(() => createDocs(client, fields)))
        } finally {
          await client.close()
        }
      })
      return cell(median(rates), 'events/s', { samples: rates })
    })
    const measure = `local write: ${fmt(docs)} documents × 4 attributes in ${transactions} transactions of ${fmt(DOCS_PER_TRANSACTION)}, file + WAL (events/s)`
    ctx.report(
      makeRow({
        bench: 'local-write',
        measure,
        ours,
        baseline: raw,
        baselineName: 'raw better-sqlite3 insert, bare table',
        goal: ratioAtLeast(0.4, '≥ 40% of raw insert'),
      }),
    )
    ctx.report(
      makeRow({
        bench: 'local-write',
        measure: `raw insert + LWW upsert of the same ${fmt(events)} events (events/s)`,
        ours: null,
        baseline: lww,
        note: 'reference',
      }),
    )
  },
}
