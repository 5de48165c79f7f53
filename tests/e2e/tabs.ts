// Helpers for the tab suites (tabs.e2e.test.ts): tabs of one Chromium profile on the example app.
import type { BrowserContext, Page } from 'playwright-core'
import { expect } from 'vitest'

/** The parts of the app's client (`window.tidings`) these tests use. */
export interface Client {
  readonly status: { connection?: string; pending: number }
  onStatus(listener: (status: { connection?: string }) => void): () => void
  create(type: 'document', fields: { title: string; author: string }): Promise<{ id: string }>
  fetch(type: 'document'): Promise<Array<{ id: string; title: string }>>
  history(
    type: 'document',
    id: string,
  ): Promise<{ events: Array<{ attribute: string; value: unknown; hlc: string; time: Date }> }>
  asOf(at: string): { get(type: 'document', id: string): Promise<{ title: string } | null> }
}
export type Tidings = { tidings: Client; tookOverAt?: number }

/** Generous: CI runs these on a loaded 2-core machine. Polls, never a timing threshold. */
export const LONG = { timeout: 60_000 }

/** The connection this tab reports: `this-tab` or `another-tab`. */
export const connection = (page: Page) =>
  page.evaluate(() => (window as unknown as Tidings).tidings.status.connection)

/** Stamps `window.tookOverAt` with `Date.now()` once this tab owns the database. */
export const stampTakeOver = (page: Page) =>
  page.evaluate(() => {
    const w = window as unknown as Tidings
    w.tidings.onStatus((status) => {
      if (status.connection === 'this-tab') w.tookOverAt ??= Date.now()
    })
  })

/** How long from `closedAt` until `page` owned the database, in ms. */
export const handOverMs = async (page: Page, closedAt: number): Promise<number> => {
  await expect.poll(() => connection(page), LONG).toBe('this-tab')
  return (await page.evaluate(() => (window as unknown as Tidings).tookOverAt!)) - closedAt
}

/** Waits until the app shows its list (or says it is empty). */
export const appReady = (page: Page) =>
  page
    .getByRole('list', { name: 'Documents' })
    .or(page.getByText('No documents yet'))
    .first()
    .waitFor(LONG)

/** One more tab of the profile, opened on the app. */
export const newTab = async (context: BrowserContext, url: string): Promise<Page> => {
  const page = await context.newPage()
  page.on('pageerror', (error) => console.error('[tab] page error:', error))
  await page.goto(url)
  await appReady(page)
  return page
}

export const item = (page: Page, title: string) =>
  page.getByRole('list', { name: 'Documents' }).getByRole('listitem', { name: title })

/** The titles in the tab's live list (what the page rendered), starting with `prefix`, sorted. */
export const listed = async (page: Page, prefix: string): Promise<string[]> => {
  const list = page.getByRole('list', { name: 'Documents' })
  if ((await list.count()) === 0) return []
  const titles = await list
    .getByRole('listitem')
    .evaluateAll((items) => items.map((li) => li.getAttribute('aria-label') ?? ''))
  return titles.filter((title) => title.startsWith(prefix)).sort()
}

/** The titles `fetch` returns in this tab, starting with `prefix`, sorted. */
export const fetched = async (page: Page, prefix: string): Promise<string[]> =>
  (
    await page.evaluate(async () =>
      (await (window as unknown as Tidings).tidings.fetch('document')).map((doc) => doc.title),
    )
  )
    .filter((title) => title.startsWith(prefix))
    .sort()

type Sinks = { onCommitted: (title: string) => void; onFailed: (code: string) => void }
/** Where each page's writer reports (a page's functions can be exposed only once). */
const sinksOf = new WeakMap<Page, Sinks>()

/**
 * Starts a writer in the tab: creates `<prefix> <n>` one after another until `stop(page)` (or
 * `count` writes), reporting each title to `onCommitted` once the tab was told it committed,
 * and each failure to `onFailed` (its code). Returns at once; the writes go on in the page.
 */
export const startWriter = async (
  page: Page,
  prefix: string,
  sinks: Sinks,
  count = Number.POSITIVE_INFINITY,
): Promise<void> => {
  if (!sinksOf.has(page)) {
    await page.exposeFunction('tabsCommitted', (title: string) =>
      sinksOf.get(page)?.onCommitted(title),
    )
    await page.exposeFunction('tabsFailed', (code: string) => sinksOf.get(page)?.onFailed(code))
  }
  sinksOf.set(page, sinks)
  await page.evaluate(
    ({ prefix, count }) => {
      type Sinks = {
        tabsCommitted(title: string): Promise<void>
        tabsFailed(code: string): Promise<void>
        tabsStop?: boolean
        tabsWriter?: Promise<void>
      }
      const w = window as unknown as Tidings & Sinks
      w.tabsStop = false
      w.tabsWriter = (async () => {
        for (let n = 0; n < count && !w.tabsStop; n++) {
          const title = `${prefix} ${String(n).padStart(4, '0')}`
          try {
            await w.tidings.create('document', { title, author: 'Tabs' })
            await w.tabsCommitted(title)
          } catch (error) {
            await w.tabsFailed(String((error as { code?: unknown }).code ?? error))
          }
        }
      })()
    },
    { prefix, count: Number.isFinite(count) ? count : 1e9 },
  )
}

/** Asks the tab's writer to stop and waits until its last write is answered. */
export const stopWriter = (page: Page) =>
  page.evaluate(async () => {
    const w = window as unknown as { tabsStop?: boolean; tabsWriter?: Promise<void> }
    w.tabsStop = true
    await w.tabsWriter
  })

/** Waits until the tab's writer has made all its `count` writes. */
export const finishWriter = (page: Page) =>
  page.evaluate(async () => {
    await (window as unknown as { tabsWriter?: Promise<void> }).tabsWriter
  })

/** The one tab of `tabs` that owns the database, once exactly one says so. */
export const ownerOf = async (tabs: readonly Page[]): Promise<Page> => {
  let owners: Page[] = []
  await expect
    .poll(async () => {
      const said = await Promise.all(tabs.map(connection))
      owners = tabs.filter((_, i) => said[i] === 'this-tab')
      return owners.length
    }, LONG)
    .toBe(1)
  return owners[0]!
}
