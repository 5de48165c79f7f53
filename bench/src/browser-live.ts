import { type Event, HybridClock, newId } from '@tidings/protocol'
import type { Page } from 'playwright-core'
import { type BrowserRig, hasChromium, installRpc, withBrowser } from './browser.js'
import { type Bench, type BenchContext, makeRow } from './context.js'
import { ratioAtMost } from './goals.js'
import { postSync } from './seed.js'
import { interleave, sample } from './stats.js'
import { fmt, sampled, sampledOrMissing } from './table.js'
import { toBundles } from './workload.js'

/** `window.rpc` as `installRpc` makes it. */
type Rpc = {
  rpc: {
    rows: number
    ask(message: object): Promise<unknown>
    observe(type: string, query: unknown, onRows?: (rows: unknown[]) => void): Promise<number>
    unobserve(id: number): void
    end(): void
  }
}
const QUERIES = 100
/** The example app's list query (examples/library/src/DocumentList.tsx). */
const LIST = { space: null, orderBy: [{ title: 'asc' }, { id: 'asc' }] }

/** Creates `docs` documents in the bare tab's worker, 500 a transaction; 100 authors. */
const seedLocal = (page: Page, docs: number) =>
  page.evaluate(async (docs) => {
    const { rpc } = window as unknown as Rpc
    for (let start = 0; start < docs; start += 500) {
      const tx = await rpc.ask({ kind: 'begin' })
      for (let i = start; i < Math.min(docs, start + 500); i++) {
        const fields = { title: `Seeded ${i}`, author: `Author ${i % 100}` }
        await rpc.ask({ kind: 'tx-call', tx, method: 'create', args: ['document', fields] })
      }
      await rpc.ask({ kind: 'end', tx, commit: true })
    }
  }, docs)

/** The median of `count` creates one after another, ms; with `queries` live queries open. */
const writeMedian = (page: Page, count: number, queries: number) =>
  page.evaluate(
    async ({ count, queries }) => {
      const { rpc } = window as unknown as Rpc
      const ids: number[] = []
      for (let q = 0; q < queries; q++)
        ids.push(await rpc.observe('document', { where: { author: `Author ${q}` } }))
      const times: number[] = []
      for (let i = 0; i < count; i++) {
        // Each write changes the result of one of the queries (its author's).
        const fields = { title: `Timed ${i}`, author: `Author ${i % 100}` }
        const started = performance.now()
        await rpc.ask({ kind: 'call', method: 'create', args: ['document', fields] })
        times.push(performance.now() - started)
      }
      for (const id of ids) rpc.unobserve(id)
      times.sort((a, b) => a - b)
      return times[Math.floor(times.length / 2)]!
    },
    { count, queries },
  )

/** Pushes `docs` documents of the demo user to the server, as one other device would. */
const seedServer = async (rig: BrowserRig, first: number, docs: number): Promise<void> => {
  const clock = new HybridClock({ node: newId() })
  for (let start = first; start < first + docs; start += 2_500) {
    const events: Event[] = []
    for (let i = start; i < Math.min(first + docs, start + 2_500); i++) {
      const entity = newId()
      const fields = { title: `Document ${i}`, author: `Author ${i % 100}` }
      for (const [attribute, value] of Object.entries(fields)) {
        const hlc = clock.send()
        events.push({
          id: newId(),
          type: 'document',
          entity,
          attribute,
          value,
          hlc,
          client: clock.node,
        })
      }
    }
    const body = {
      client: clock.node,
      hlc: clock.send(),
      cursor: null,
      bundles: toBundles(events, 1_000),
    }
    await postSync(rig.server.url, rig.token, body)
  }
}

/**
 * A first sync of the server's `docs` documents into a new database, with the app's list query
 * open: the rows the worker posted to the page until the list held them all.
 */
const firstSyncRows = async (rig: BrowserRig, page: Page, name: string, docs: number) => {
  await installRpc(page, rig.workerUrl)
  return page.evaluate(
    async ({ name, docs, url, token, list }) => {
      const { rpc } = window as unknown as Rpc
      await rpc.ask({ kind: 'open', options: { name, storage: 'opfs', server: { url, token } } })
      let shown = 0
      await rpc.observe('document', list, (rows) => {
        shown = rows.length
      })
      rpc.rows = 0
      for (let round = 0; shown < docs && round < 1_000; round++) {
        await rpc.ask({ kind: 'call', method: 'sync', args: [] })
        // The last rows may follow the answer: observers run after the commit.
        for (let wait = 0; shown < docs && wait < 100; wait++)
          await new Promise((resolve) => setTimeout(resolve, 20))
      }
      if (shown < docs) throw new Error(`the list shows ${shown} of ${docs} documents`)
      const rows = rpc.rows
      await rpc.ask({ kind: 'close' })
      rpc.end()
      return rows
    },
    { name, docs, url: rig.server.url, token: rig.token, list: LIST },
  )
}

/**
 * Live queries in Chromium, on a worker of the app spoken to in RPC messages from a tab that
 * renders nothing: a write with 100 live queries open on 10,000 documents beside one with
 * none, and the rows posted to the page during a first sync of 20,000 documents beside 10,000.
 */
export const browserLive: Bench = {
  name: 'browser-live',
  async run(ctx) {
    if (!hasChromium('browser-live')) return
    await withBrowser(ctx, async (rig) => {
      await liveQueriesWrite(ctx, rig)
      await firstSync(ctx, rig)
    })
  },
}

const liveQueriesWrite = async (ctx: BenchContext, rig: BrowserRig) => {
  const docs = ctx.size(10_000, 1_000)
  const writes = ctx.size(40, 10)
  const page = await rig.bareTab()
  await installRpc(page, rig.workerUrl)
  await page.evaluate(() =>
    (window as unknown as Rpc).rpc.ask({
      kind: 'open',
      options: { name: 'live', storage: 'opfs' },
    }),
  )
  ctx.log(`browser-live: seeding ${fmt(docs)} documents in OPFS`)
  await seedLocal(page, docs)
  ctx.log(
    `browser-live: ${writes} writes with ${QUERIES} live queries open and with none, in turns`,
  )
  const times = await interleave(ctx, {
    queries: () => writeMedian(page, writes, QUERIES),
    none: () => writeMedian(page, writes, 0),
  })
  await page.close()
  ctx.report(
    makeRow({
      bench: 'browser-live',
      measure: `browser (Chromium, OPFS): one write (call → answer), median of ${writes} back to back, with ${QUERIES} live queries open on ${fmt(docs)} documents (ms)`,
      ours: sampledOrMissing(times.queries, 'ms'),
      baseline: sampledOrMissing(times.none, 'ms'),
      baselineName: 'the same write with no live query open',
      goal: ratioAtMost(2, 'within 2×'),
    }),
  )
}

const firstSync = async (ctx: BenchContext, rig: BrowserRig) => {
  const small = ctx.size(10_000, 1_000)
  const page = await rig.bareTab()
  const rows: Record<number, number[]> = {}
  let seeded = 0
  for (const docs of [small, 2 * small]) {
    ctx.log(`browser-live: first syncs of ${fmt(docs)} documents with the list query open`)
    await seedServer(rig, seeded, docs - seeded)
    seeded = docs
    rows[docs] = await sample(ctx, (run) => firstSyncRows(rig, page, `first-${docs}-${run}`, docs))
  }
  await page.close()
  const cell = (docs: number) =>
    sampled(
      rows[docs]!,
      'rows',
      (spread) => `${spread} (${fmt(rows[docs]![0]! / docs)} per document)`,
    )
  ctx.report(
    makeRow({
      bench: 'browser-live',
      measure: `browser (Chromium, OPFS): rows posted to the page by the app's list query during a first sync of ${fmt(2 * small)} documents`,
      ours: cell(2 * small),
      baseline: cell(small),
      baselineName: `the same for ${fmt(small)} documents`,
      goal: ratioAtMost(2.2, 'linear: ≤ 2.2× for twice the documents'),
    }),
  )
}
