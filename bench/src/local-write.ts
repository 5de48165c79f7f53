import path from 'node:path'
import type { Event } from '@tidings/protocol'
import { type Bench, type BenchContext, makeRow } from './context.js'
import { ratioAtLeast } from './goals.js'
import { openRaw, rawInsert } from './raw-sqlite.js'
import { interleave, perSecond, time } from './stats.js'
import { fmt, sampledOrMissing } from './table.js'
import { createDocs, DOCS_PER_TRANSACTION, loadTidings } from './tidings.js'
import { docFields, eventsFor, makeEvents } from './workload.js'

/**
 * One run of the raw baseline: the events of `docs` documents inserted into a new file, in
 * transactions of one bundle's worth (with `lww`, the last-writer-wins upsert too), events/s.
 * `events` are made once by the caller, outside the timing.
 */
export const rawInsertRun = (
  ctx: BenchContext,
  file: string,
  events: readonly Event[],
  lww: boolean,
): Promise<number> => {
  const db = openRaw(path.join(ctx.tmp, file))
  return time(() => rawInsert(db, events, lww, eventsFor(DOCS_PER_TRANSACTION)))
    .then((ms) => perSecond(events.length, ms))
    .finally(() => db.close())
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
    ctx.log(`local-write: raw, raw + LWW and Tidings in turns, ${events} events`)
    const tidings = await loadTidings()
    const fields = Array.from({ length: docs }, (_, i) => docFields(i))
    const made = makeEvents(docs)
    const rates = await interleave(ctx, {
      raw: (run) => rawInsertRun(ctx, `local-write-raw-${run}.db`, made, false),
      lww: (run) => rawInsertRun(ctx, `local-write-lww-${run}.db`, made, true),
      ours: async (run) => {
        const client = await tidings.open(path.join(ctx.tmp, `local-write-tidings-${run}.db`))
        try {
          return perSecond(events, await time(() => createDocs(client, fields)))
        } finally {
          await client.close()
        }
      },
    })
    const raw = sampledOrMissing(rates.raw, 'events/s')
    const lww = sampledOrMissing(rates.lww, 'events/s')
    const ours = sampledOrMissing(rates.ours, 'events/s')
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
