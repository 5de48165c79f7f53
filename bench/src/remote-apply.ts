import path from 'node:path'
import { type Event, formatHlc, newId, ROUTES } from '@tidings/protocol'
import { type Bench, type BenchContext, makeRow } from './context.js'
import { ratioAtLeast } from './goals.js'
import { rawInsertRun } from './local-write.js'
import { interleave, perSecond, time } from './stats.js'
import { fmt, sampledOrMissing } from './table.js'
import { loadTidings, type Tidings } from './tidings.js'
import { makeEvents, toBundles } from './workload.js'

const PER_BUNDLE = 1_000
const BUNDLES_PER_PAGE = 10

/**
 * A server that answers `POST /v1/sync` from memory with pages prepared before timing, handed
 * to the client as its `fetch`: the client's own work (parse, validate, apply) is all that is
 * timed — no network, no server.
 */
const pagesServer = (events: readonly Event[]): typeof globalThis.fetch => {
  const bundles = toBundles(events, PER_BUNDLE)
  const pages: string[] = []
  const node = newId()
  for (let i = 0; i < bundles.length; i += BUNDLES_PER_PAGE) {
    const page = bundles.slice(i, i + BUNDLES_PER_PAGE)
    const more = i + BUNDLES_PER_PAGE < bundles.length
    // The HLC is stamped per answer (the client learns its clock offset from it).
    pages.push(
      JSON.stringify({ cursor: String(pages.length + 1), accepted: [], bundles: page, more }).slice(
        1,
      ),
    )
  }
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    if (!url.endsWith(ROUTES.sync)) {
      const error = { error: { code: 'not_found', message: `fake server has no ${url}` } }
      return new Response(JSON.stringify(error), { status: 404 })
    }
    const { cursor } = JSON.parse(String(init?.body)) as { cursor: string | null }
    const page = pages[cursor ? Number(cursor) : 0]
    const hlc = formatHlc({ ms: Date.now(), counter: 0, node })
    const body = page
      ? `{"hlc":"${hlc}",${page}`
      : JSON.stringify({ hlc, cursor, accepted: [], bundles: [], more: false })
    return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } })
  }
}

/** One run: a new file client pulls every page from the in-memory server, events/s. */
const applyRun = async (
  ctx: BenchContext,
  tidings: Tidings,
  fetch: typeof globalThis.fetch,
  events: number,
  run: number,
): Promise<number> => {
  const client = await tidings.open(path.join(ctx.tmp, `apply-${run}.db`), {
    url: 'http://fake',
    token: 'bench',
    fetch,
  })
  try {
    const ms = await time(async () => {
      const { pulled } = await client.sync()
      if (pulled !== events / PER_BUNDLE)
        throw new Error(`applied ${pulled} bundles, expected ${events / PER_BUNDLE}`)
    })
    return perSecond(events, ms)
  } finally {
    await client.close()
  }
}

/** Remote apply of pulled bundles totalling 100,000 events (20,000 under --quick). */
export const remoteApply: Bench = {
  name: 'remote-apply',
  async run(ctx) {
    const events = ctx.size(100_000, 20_000)
    ctx.log(`remote-apply: ${events} events, raw insert and Tidings in turns`)
    const tidings = await loadTidings()
    // The baseline inserts the very events the pages carry.
    const made = makeEvents(events / 4)
    const fetch = pagesServer(made)
    const rates = await interleave(ctx, {
      baseline: (run) => rawInsertRun(ctx, `remote-apply-raw-${run}.db`, made, false),
      ours: (run) => applyRun(ctx, tidings, fetch, events, run),
    })
    ctx.report(
      makeRow({
        bench: 'remote-apply',
        measure: `remote apply: pulled bundles of ${fmt(PER_BUNDLE)} events totalling ${fmt(events)}, file client (events/s)`,
        ours: sampledOrMissing(rates.ours, 'events/s'),
        baseline: sampledOrMissing(rates.baseline, 'events/s'),
        baselineName: 'raw better-sqlite3 insert of the same events, bare table',
        goal: ratioAtLeast(0.4, '≥ 40% of raw insert'),
        note: 'parse + validate + apply; pages served from memory',
      }),
    )
  },
}
