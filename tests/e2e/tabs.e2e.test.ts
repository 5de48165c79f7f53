import type { Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Device, describeBrowser, startApp } from './harness.js'

/** The parts of the app's client (`window.tidings`) these tests use. */
interface Client {
  readonly status: { connection?: string; pending: number }
  onStatus(listener: (status: { connection?: string }) => void): () => void
  create(type: 'document', fields: { title: string; author: string }): Promise<{ id: string }>
  fetch(type: 'document'): Promise<Array<{ id: string; title: string }>>
}
type Tidings = { tidings: Client; tookOverAt?: number }

const LONG = { timeout: 30_000 }

/** The connection this tab reports: `this-tab` or `another-tab`. */
const connection = (page: Page) =>
  page.evaluate(() => (window as unknown as Tidings).tidings.status.connection)

/** Stamps `window.tookOverAt` with `Date.now()` once this tab owns the database. */
const stampTakeOver = (page: Page) =>
  page.evaluate(() => {
    const w = window as unknown as Tidings
    w.tidings.onStatus((status) => {
      if (status.connection === 'this-tab') w.tookOverAt ??= Date.now()
    })
  })

/** How long from `closedAt` until `page` owned the database, in ms. */
const handOverMs = async (page: Page, closedAt: number): Promise<number> => {
  await expect.poll(() => connection(page), LONG).toBe('this-tab')
  return (await page.evaluate(() => (window as unknown as Tidings).tookOverAt!)) - closedAt
}

// Tabs of one profile (pages of one browser context) on OPFS: one tab's worker owns the
// database and the sync connection, every tab is live, and a closed owner hands over.
describeBrowser('every tab live at once in Chromium', () => {
  let server: Awaited<ReturnType<typeof startApp>>
  let device: Device

  beforeAll(async () => {
    server = await startApp()
    device = await Device.open('tabs', server.url)
  })
  afterAll(async () => {
    await device?.close()
    await server?.close()
  })

  /** One more tab of the device, opened on the app. */
  const newTab = async (): Promise<Page> => {
    const page = await device.context.newPage()
    page.on('pageerror', (error) => console.error('[tab] page error:', error))
    await page.goto(server.url)
    await page
      .getByRole('list', { name: 'Documents' })
      .or(page.getByText('No documents yet'))
      .first()
      .waitFor()
    return page
  }
  const item = (page: Page, title: string) =>
    page.getByRole('list', { name: 'Documents' }).getByRole('listitem', { name: title })

  it('both tabs read, write and observe; a write in either shows in the other', async () => {
    const first = device.page
    const second = await newTab()
    expect(await connection(first)).toBe('this-tab')
    expect(await connection(second)).toBe('another-tab')
    await first.getByText('This tab syncs').waitFor()
    await second.getByText('Synced through another tab').waitFor()

    await device.add({ title: 'Written in the first tab', author: 'Ada' })
    await item(second, 'Written in the first tab').waitFor()
    const form = second.getByRole('form', { name: 'New document' })
    await form.getByLabel('Title').fill('Written in the second tab')
    await form.getByLabel('Author').fill('Grace')
    await form.getByRole('button', { name: 'Add document' }).click()
    await item(second, 'Written in the second tab').waitFor()
    await item(first, 'Written in the first tab').waitFor()
    await item(first, 'Written in the second tab').waitFor()
    await second.close()
  })

  it('when the owning tab closes another takes over, and the writes made offline sync', async () => {
    const owner = device.page
    const other = await newTab()
    await stampTakeOver(other)
    await device.context.setOffline(true)
    await other.evaluate(() =>
      (window as unknown as Tidings).tidings.create('document', {
        title: 'Pending across the hand-over',
        author: 'Ada',
      }),
    )
    const closedAt = Date.now()
    await owner.close()
    console.log(
      `e2e tabs: hand-over after the owner closed: ${await handOverMs(other, closedAt)} ms`,
    )
    await other.getByText('This tab syncs').waitFor()
    await item(other, 'Pending across the hand-over').waitFor()
    await device.context.setOffline(false)
    await other.getByRole('button', { name: 'Sync now' }).click()
    await expect
      .poll(() => other.getByRole('status', { name: 'Sync status' }).textContent(), LONG)
      .toContain('All changes synced')
    expect(await other.evaluate(() => (window as unknown as Tidings).tidings.status.pending)).toBe(
      0,
    )
  })

  it('writes in flight during a hand-over are applied once each, none lost', async () => {
    const pages = device.context.pages()
    const owner = pages[pages.length - 1]!
    expect(await connection(owner)).toBe('this-tab')
    const writer = await newTab()
    await stampTakeOver(writer)
    const COUNT = 40
    // Started without waiting: some reach the owner before it closes, some after.
    await writer.evaluate((count) => {
      const w = window as unknown as Tidings & { writes?: Promise<unknown> }
      w.writes = Promise.all(
        Array.from({ length: count }, (_, i) =>
          w.tidings.create('document', { title: `in flight ${i}`, author: 'Ada' }),
        ),
      )
    }, COUNT)
    const closedAt = Date.now()
    await owner.close()
    const created = await writer.evaluate(async () => {
      const w = window as unknown as { writes: Promise<Array<{ id: string }>> }
      return (await w.writes).map((doc) => doc.id)
    })
    console.log(
      `e2e tabs: hand-over with writes in flight: ${await handOverMs(writer, closedAt)} ms`,
    )
    const stored = await writer.evaluate(async () =>
      (await (window as unknown as Tidings).tidings.fetch('document'))
        .filter((doc) => doc.title.startsWith('in flight '))
        .map((doc) => doc.id),
    )
    expect(new Set(created).size).toBe(COUNT)
    expect(stored.sort()).toEqual([...created].sort())
  })

  it('a frozen owning page stalls no tab: its worker serves on, and the page catches up', async () => {
    const pages = device.context.pages()
    const owner = pages[pages.length - 1]!
    expect(await connection(owner)).toBe('this-tab')
    const other = await newTab()
    const cdp = await device.context.newCDPSession(owner)
    // Chromium freezes the page here, not its dedicated worker, which owns the database: the
    // other tab goes on through it. (Where a browser freezes the worker too, the page's
    // 'freeze' handler ends its worker first so that another tab takes over: see WorkerLink.)
    await cdp.send('Page.setWebLifecycleState', { state: 'frozen' })
    await other.evaluate(() =>
      (window as unknown as Tidings).tidings.create('document', {
        title: 'Written while the owner was frozen',
        author: 'Ada',
      }),
    )
    await item(other, 'Written while the owner was frozen').waitFor()
    await cdp.send('Page.setWebLifecycleState', { state: 'active' })
    await item(owner, 'Written while the owner was frozen').waitFor()
    await cdp.detach()
  })
})
