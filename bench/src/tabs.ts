import type { Page } from 'playwright-core'
import { hasChromium, withBrowser } from './browser.js'
import { type Bench, makeRow } from './context.js'
import { interleave, median, percentile, sample } from './stats.js'
import { sampled, sampledOrMissing } from './table.js'

type Probe = {
  tidings: {
    create(type: 'document', fields: { title: string; author: string }): Promise<unknown>
    observe(type: 'document', query: unknown, callback: (rows: unknown[]) => void): () => void
  }
  seen: Record<string, number>
}

/** Records in the tab when each probe document first shows in its live query (ms, wall clock). */
const watchProbes = (page: Page) =>
  page.evaluate(() => {
    const w = window as unknown as Probe
    w.seen = {}
    w.tidings.observe('document', { where: { author: 'probe' } }, (rows) => {
      const at = Date.now()
      for (const row of rows as Array<{ title: string }>) w.seen[row.title] ??= at
    })
  })

/** From a create in `writer` to the row in `reader`'s live query, ms (one wall clock). */
const propagation = async (writer: Page, reader: Page, title: string): Promise<number> => {
  const started = await writer.evaluate(async (title) => {
    const at = Date.now()
    await (window as unknown as Probe).tidings.create('document', { title, author: 'probe' })
    return at
  }, title)
  await reader.waitForFunction(
    (title) => (window as unknown as Probe).seen[title] !== undefined,
    title,
    { polling: 5, timeout: 60_000 },
  )
  const seen = await reader.evaluate((title) => (window as unknown as Probe).seen[title]!, title)
  return seen - started
}

/** The median time of `count` creates one after another in the tab, ms. */
const writeMedian = (page: Page, prefix: string, count: number) =>
  page.evaluate(
    async ({ prefix, count }) => {
      const tidings = (window as unknown as Probe).tidings
      const times: number[] = []
      for (let i = 0; i < count; i++) {
        const started = performance.now()
        await tidings.create('document', { title: `${prefix} ${i}`, author: 'timed' })
        times.push(performance.now() - started)
      }
      times.sort((a, b) => a - b)
      return times[Math.floor(times.length / 2)]!
    },
    { prefix, count },
  )

/**
 * Tabs of one profile in Chromium on the example app (OPFS, every tab live): how long a write
 * in a tab that does not own the database takes to show in another tab's live query, and what
 * a write costs in a non-owning tab (relayed over the BroadcastChannel) against the owner.
 */
export const tabs: Bench = {
  name: 'tabs',
  async run(ctx) {
    if (!hasChromium('tabs')) return
    const writes = ctx.size(50, 10)
    await withBrowser(ctx, async (rig) => {
      const owner = await rig.appTab()
      const other = await rig.appTab()
      await watchProbes(owner)
      ctx.log(`tabs: ${writes} writes in tab B seen by tab A's live query, per run`)
      let n = 0
      const runs = await sample(ctx, async () => {
        const latencies: number[] = []
        for (let i = 0; i < writes; i++) latencies.push(await propagation(other, owner, `p${n++}`))
        return { p50: median(latencies), p99: percentile(latencies, 99) }
      })
      const measure = (what: string) =>
        `tabs (Chromium, OPFS): a write in tab B until tab A's live query shows it, ${what} of ${writes} (ms)`
      ctx.report(
        makeRow({
          bench: 'tabs',
          measure: measure('p50'),
          ours: sampled(
            runs.map((r) => r.p50),
            'ms',
          ),
          baseline: null,
        }),
      )
      ctx.report(
        makeRow({
          bench: 'tabs',
          measure: measure('p99'),
          ours: sampled(
            runs.map((r) => r.p99),
            'ms',
          ),
          baseline: null,
        }),
      )
      ctx.log(`tabs: ${writes} writes in the non-owning tab and in the owning tab, in turns`)
      const times = await interleave(ctx, {
        other: (run) => writeMedian(other, `other ${run}`, writes),
        owner: (run) => writeMedian(owner, `owner ${run}`, writes),
      })
      ctx.report(
        makeRow({
          bench: 'tabs',
          measure: `tabs (Chromium, OPFS): one write (create → resolved), median of ${writes}, in a tab that does not own the database (ms)`,
          ours: sampledOrMissing(times.other, 'ms'),
          baseline: sampledOrMissing(times.owner, 'ms'),
          baselineName: 'the same write in the owning tab',
          note: 'relayed over the BroadcastChannel to the owner',
        }),
      )
    })
  },
}
