import path from 'node:path'
import { type Bench, type BenchContext, makeRow } from './context.js'
import { interleave, time } from './stats.js'
import { type Cell, fmt, type Missing, sampledOrMissing } from './table.js'
import { type BenchClient, createDocs, loadTidings } from './tidings.js'
import { docFields } from './workload.js'

/** Calls are milliseconds to a second: kept samples per side, as `fetch` keeps. */
const RUNS = 9
const PAGE = { author: 'author-7', limit: 50 }
/** Every tenth document is edited twice after the bound, so the past differs from now. */
const EDITED_EVERY = 10

const expect = (what: string, ok: boolean): void => {
  if (!ok) throw new Error(what)
}

/** Our call and the plain one it is compared with, timed in turns from a collected heap. */
const timedPair = async (
  ctx: BenchContext,
  baseline: () => Promise<unknown>,
  ours: () => Promise<unknown>,
): Promise<{ baseline: Cell | Missing; ours: Cell | Missing }> => {
  const timings = await interleave(
    { warmups: ctx.warmups, runs: Math.max(RUNS, ctx.runs) },
    { baseline: () => time(baseline), ours: () => time(ours) },
  )
  return {
    baseline: sampledOrMissing(timings.baseline, 'ms'),
    ours: sampledOrMissing(timings.ours, 'ms'),
  }
}

/**
 * History and time travel (issue 16) on `docs` documents (4 attributes each), a tenth of them
 * edited twice after the bound `h`: `history()` of one edited document, `asOf(h).get` of it
 * and `asOf(h).fetch` of a page of 50 (where author = x order by title), each beside the plain
 * `get`/`fetch` of the same thing in the same run. The log has no index by entity (every write
 * would pay for one) and the past is folded from the log on each call, so these scan the log:
 * the rows say what that costs against the indexed present. The client is then reopened with
 * `historyIndex: true` (an index of the log by entity, off by default: every write pays for
 * it) and the one-entity rows are measured again.
 */
export const historyBench: Bench = {
  name: 'history',
  async run(ctx) {
    const docs = ctx.size(100_000, 3_000)
    ctx.log(`history: ${fmt(docs)} documents`)
    const tidings = await loadTidings()
    const file = path.join(ctx.tmp, `history-${docs}.db`)
    let client: BenchClient = await tidings.open(file)
    try {
      const fields = Array.from({ length: docs }, (_, i) => docFields(i))
      await createDocs(client, fields)
      const page = await client.fetch('document', { where: { author: PAGE.author }, limit: 1 })
      const target = page[0]!
      // The bound: just after the last document was created (ids are UUIDv7: creation order).
      const [newest] = await client.fetch('document', { orderBy: { id: 'desc' }, limit: 1 })
      const h = (await client.history('document', newest!.id)).events.at(-1)!.hlc
      // Two rounds of edits after `h`: every tenth title, in transactions of 2,500.
      const ids = (await client.fetch('document', {})).map((d) => d.id)
      for (const round of [1, 2])
        for (let start = 0; start < ids.length; start += 2_500 * EDITED_EVERY)
          await client.transaction(async (tx) => {
            const end = Math.min(ids.length, start + 2_500 * EDITED_EVERY)
            for (let i = start; i < end; i += EDITED_EVERY)
              await tx.update('document', ids[i]!, { title: `edited ${round} ${i}` })
          })
      await client.update('document', target.id, { title: 'edited now' })
      const events = docs * 4 + 2 * Math.ceil(docs / EDITED_EVERY) + 1
      const rows = (
        measure: string,
        result: { baseline: Cell | Missing; ours: Cell | Missing },
        baselineName: string,
      ) =>
        ctx.report(
          makeRow({
            bench: 'history',
            measure,
            ...result,
            baselineName,
            note: `${fmt(events)} events`,
          }),
        )

      /** `history()` and `asOf(h).get` of the target, `index` saying how the log was kept. */
      const oneEntity = async (index: string) => {
        ctx.log(`history: history() of one document${index}`)
        rows(
          `history() of one document among ${fmt(docs)}${index} (ms)`,
          await timedPair(
            ctx,
            async () => expect('get', (await client.get('document', target.id)) !== null),
            async () =>
              expect('history', (await client.history('document', target.id)).events.length >= 5),
          ),
          '`get` of the same document',
        )
        const past = client.asOf(h)
        ctx.log(`history: asOf(h).get${index}`)
        rows(
          `asOf(h).get of one document among ${fmt(docs)}${index} (ms)`,
          await timedPair(
            ctx,
            async () =>
              expect('get', (await client.get('document', target.id))?.title === 'edited now'),
            async () =>
              expect('asOf get', (await past.get('document', target.id))?.title === target.title),
          ),
          '`get` of the same document (now)',
        )
      }
      await oneEntity('')
      const past = client.asOf(h)
      ctx.log(`history: asOf(h).fetch, a page of ${PAGE.limit}`)
      // `docFields` spreads documents over 100 authors: the quick profile's page is shorter.
      const pageLength = Math.min(PAGE.limit, Math.ceil(docs / 100))
      const query = {
        where: { author: PAGE.author },
        orderBy: { title: 'asc' as const },
        limit: PAGE.limit,
      }
      rows(
        `asOf(h).fetch a page of ${PAGE.limit}, where author = x order by title, among ${fmt(docs)} (ms)`,
        await timedPair(
          ctx,
          async () =>
            expect('fetch', (await client.fetch('document', query)).length === pageLength),
          async () =>
            expect('asOf fetch', (await past.fetch('document', query)).length === pageLength),
        ),
        'the same `fetch` (now, indexed)',
      )
      // The same log with the opt-in index by entity (built at this open).
      await client.close()
      client = await tidings.open(file, undefined, { historyIndex: true })
      await oneEntity(', with historyIndex')
      // What the index costs the writes: the same documents created in a new database.
      const batch = fields.slice(0, ctx.size(10_000, 1_000))
      ctx.log(`history: create ${fmt(batch.length)} documents, with and without historyIndex`)
      let run = 0
      const created = async (historyIndex: boolean) => {
        const fresh = await tidings.open(
          path.join(ctx.tmp, `history-write-${run++}.db`),
          undefined,
          {
            historyIndex,
          },
        )
        try {
          await createDocs(fresh, batch)
        } finally {
          await fresh.close()
        }
      }
      ctx.report(
        makeRow({
          bench: 'history',
          measure: `create ${fmt(batch.length)} documents (4 events each) with historyIndex (ms)`,
          ...(await timedPair(
            ctx,
            () => created(false),
            () => created(true),
          )),
          baselineName: 'the same without it (the default)',
        }),
      )
    } finally {
      await client.close()
    }
  },
}
