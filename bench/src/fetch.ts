import path from 'node:path'
import { newId } from '@tidings/protocol'
import { type Bench, type BenchContext, makeRow } from './context.js'
import { atMost } from './goals.js'
import { openRawDocs, SELECT_ALL_DOCS, SELECT_DOCS_PAGE } from './raw-sqlite.js'
import { interleave, time } from './stats.js'
import { type Cell, cell, fmt, type Missing, sampledOrMissing } from './table.js'
import { type BenchClient, createDocs, loadTidings } from './tidings.js'
import { docFields } from './workload.js'

/** The prototype's published fetch times (its docs/benchmark_results.csv, its own machine). */
const PROTOTYPE = [
  { docs: 2_900, ms: 87 },
  { docs: 3_000, ms: 89 },
  { docs: 30_000, ms: 960 },
]

const PAGE = { author: 'author-7', limit: 50 }

const expectLength = (what: string, got: number, want: number): void => {
  if (got !== want) throw new Error(`${what} returned ${got} rows, expected ${want}`)
}

/** A Tidings client and a bare table, both holding the same `docs` documents. */
const fixture = async (ctx: BenchContext, docs: number) => {
  const fields = Array.from({ length: docs }, (_, i) => docFields(i))
  const raw = openRawDocs(
    path.join(ctx.tmp, `fetch-raw-${docs}.db`),
    fields.map((f) => ({ id: newId(), ...f })),
  )
  let client: BenchClient | null = null
  const ours = async (): Promise<BenchClient> => {
    if (client) return client
    const tidings = await loadTidings()
    client = await tidings.open(path.join(ctx.tmp, `fetch-tidings-${docs}.db`))
    await createDocs(client, fields)
    return client
  }
  const close = async (): Promise<void> => {
    raw.close()
    await client?.close()
  }
  return { raw, ours, close }
}

type Fixture = Awaited<ReturnType<typeof fixture>>

/** Calls are cheap (milliseconds), so more of them are kept than elsewhere. */
const FETCH_RUNS = 15

/**
 * Timings of the baseline's and our call, taken in turns (see `interleave`), each from a
 * collected heap: ms cells for both.
 */
const timedPair = async (
  ctx: BenchContext,
  baseline: () => unknown,
  ours: () => Promise<unknown>,
): Promise<{ baseline: Cell | Missing; ours: Cell | Missing }> => {
  const sampling = { warmups: ctx.warmups, runs: Math.max(FETCH_RUNS, ctx.runs) }
  const timings = await interleave(sampling, {
    baseline: () => time(baseline),
    ours: () => time(ours),
  })
  return {
    baseline: sampledOrMissing(timings.baseline, 'ms'),
    ours: sampledOrMissing(timings.ours, 'ms'),
  }
}

/** Fetch all of 3,000 and 30,000 documents, and a filtered sorted page of 50 among 100,000. */
export const fetchBench: Bench = {
  name: 'fetch',
  async run(ctx) {
    const results = new Map<number, Cell | Missing>()
    const pageDocs = ctx.size(100_000, 30_000)
    // Under --quick the page query reuses the 30,000-document fixture.
    let kept: Fixture | null = null
    for (const docs of [3_000, 30_000]) {
      ctx.log(`fetch: all of ${docs}`)
      const f = await fixture(ctx, docs)
      try {
        const select = f.raw.prepare(SELECT_ALL_DOCS).raw()
        const client = await f.ours()
        const { baseline, ours } = await timedPair(
          ctx,
          () => expectLength('select', select.all(0).length, docs),
          async () => expectLength('fetch', (await client.fetch('document', {})).length, docs),
        )
        results.set(docs, ours)
        ctx.report(
          makeRow({
            bench: 'fetch',
            measure: `fetch all of ${fmt(docs)} documents (ms)`,
            ours,
            baseline,
            baselineName: 'the same select on a bare table, `.raw()` rows',
            ...(docs === 30_000 ? { goal: atMost(30, '≤ 30 ms') } : {}),
          }),
        )
      } finally {
        if (docs === pageDocs) kept = f
        else await f.close()
      }
    }
    for (const p of PROTOTYPE) {
      const ours = results.get(p.docs === 2_900 ? 3_000 : p.docs) ?? null
      ctx.report(
        makeRow({
          bench: 'fetch',
          measure: `fetch all of ${fmt(p.docs)} documents vs the prototype's published figure (ms)`,
          ours,
          baseline: cell(p.ms, 'ms'),
          baselineName: 'Dart/Drift prototype, its machine',
          ...(p.docs === 2_900 ? { note: 'ours: 3,000' } : {}),
        }),
      )
    }
    const docs = pageDocs
    ctx.log(`fetch: page of ${PAGE.limit} among ${docs}`)
    const f = kept ?? (await fixture(ctx, docs))
    try {
      const select = f.raw.prepare(SELECT_DOCS_PAGE).raw()
      const client = await f.ours()
      const { baseline, ours } = await timedPair(
        ctx,
        () =>
          expectLength('select page', select.all(0, PAGE.author, PAGE.limit).length, PAGE.limit),
        async () => {
          const page = await client.fetch('document', {
            where: { author: PAGE.author },
            orderBy: { title: 'asc' },
            limit: PAGE.limit,
          })
          expectLength('fetch page', page.length, PAGE.limit)
        },
      )
      ctx.report(
        makeRow({
          bench: 'fetch',
          measure: `fetch a page of ${PAGE.limit}, where author = x order by title, among ${fmt(docs)} documents (ms)`,
          ours,
          baseline,
          baselineName: 'the same indexed select … limit 50, bare table, `.raw()` rows',
        }),
      )
    } finally {
      await f.close()
    }
  },
}
