import type { Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Device, describeBrowser, startApp } from './harness.js'
import {
  appReady,
  connection,
  fetched,
  finishWriter,
  handOverMs,
  item,
  LONG,
  listed,
  newTab as openTab,
  ownerOf,
  stampTakeOver,
  startWriter,
  stopWriter,
  type Tidings,
} from './tabs.js'

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

  const newTab = () => openTab(device.context, server.url)

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

    // History over the worker: the second tab's `history` and `asOf` are the owner's answers.
    const past = (page: Page) =>
      page.evaluate(async () => {
        const { tidings } = window as unknown as Tidings
        const all = await tidings.fetch('document')
        const doc = all.find((d) => d.title === 'Written in the second tab')!
        const { events } = await tidings.history('document', doc.id)
        const asOf = await tidings.asOf(events.at(-1)!.hlc).get('document', doc.id)
        return {
          events: events.map((e) => [e.attribute, e.value, e.time instanceof Date]),
          asOf: asOf?.title,
        }
      })
    const fromSecond = await past(second)
    expect(fromSecond).toEqual(await past(first))
    expect(fromSecond.asOf).toBe('Written in the second tab')
    expect(fromSecond.events).toContainEqual(['title', 'Written in the second tab', true])
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
})

// Three tabs of one profile, all writing: the must-show cases. Every tab reports each
// write it was told committed (`startWriter`); those are the writes that must never be lost.
describeBrowser('three tabs of one profile in Chromium', () => {
  let server: Awaited<ReturnType<typeof startApp>>
  let device: Device
  let tabs: Page[] = []
  const committed = new Set<string>()
  const failures: string[] = []
  const sinks = {
    onCommitted: (title: string) => committed.add(title),
    onFailed: (code: string) => failures.push(code),
  }
  const committedWith = (prefix: string) =>
    [...committed].filter((title) => title.startsWith(prefix)).sort()

  beforeAll(async () => {
    server = await startApp()
    device = await Device.open('tabs3', server.url)
  })
  afterAll(async () => {
    await device?.close()
    await server?.close()
  })

  /** Every tab's live list shows exactly what the database holds, and that holds `expected`. */
  const converged = async (prefix: string, expected: string[]) => {
    const stored = await fetched(tabs[0]!, prefix)
    expect(stored).toEqual(expect.arrayContaining(expected))
    for (const tab of tabs) await expect.poll(() => listed(tab, prefix), LONG).toEqual(stored)
  }

  it('three tabs writing at once converge, each showing every write in its live list', async () => {
    tabs = [device.page, await openTab(device.context, server.url)]
    tabs.push(await openTab(device.context, server.url))
    expect(await Promise.all(tabs.map(connection))).toEqual([
      'this-tab',
      'another-tab',
      'another-tab',
    ])
    const COUNT = 15
    await Promise.all(tabs.map((tab, i) => startWriter(tab, `at once ${'ABC'[i]}`, sinks, COUNT)))
    await Promise.all(tabs.map(finishWriter))
    expect(failures).toEqual([])
    const expected = committedWith('at once ')
    expect(expected).toHaveLength(3 * COUNT)
    // Exactly these: no write applied twice, none missing, in every tab's rendered list.
    for (const tab of tabs) await expect.poll(() => listed(tab, 'at once '), LONG).toEqual(expected)
  })

  it('closing the owning tab while the others write loses nothing they were told committed', async () => {
    const owner = await ownerOf(tabs)
    const others = tabs.filter((tab) => tab !== owner)
    await Promise.all(others.map(stampTakeOver))
    await Promise.all(tabs.map((tab, i) => startWriter(tab, `mid-close ${'ABC'[i]}`, sinks)))
    const prefixes = new Map(tabs.map((tab, i) => [tab, `mid-close ${'ABC'[i]}`]))
    const from = (tab: Page) => prefixes.get(tab)!
    // Every tab has written some before the close, and the others write on after it.
    for (const tab of tabs) {
      await expect.poll(() => committedWith(from(tab)).length, LONG).toBeGreaterThanOrEqual(3)
    }
    const before = others.map((tab) => committedWith(from(tab)).length)
    const closedAt = Date.now()
    await owner.close()
    tabs = others
    const next = await ownerOf(tabs)
    console.log(`e2e tabs: hand-over among 3 tabs, writing: ${await handOverMs(next, closedAt)} ms`)
    for (const [i, tab] of others.entries()) {
      await expect
        .poll(() => committedWith(from(tab)).length, LONG)
        .toBeGreaterThanOrEqual(before[i]! + 5)
    }
    await Promise.all(others.map(stopWriter))
    // Writes in flight at the close were retried (creates carry their ids), never failed.
    expect(failures).toEqual([])
    await converged('mid-close ', committedWith('mid-close '))
  })

  it('a frozen owning page stalls neither other tab, and catches up when resumed', async () => {
    tabs.push(await openTab(device.context, server.url))
    const owner = await ownerOf(tabs)
    const others = tabs.filter((tab) => tab !== owner)
    const cdp = await device.context.newCDPSession(owner)
    // Chromium freezes the page here, not its dedicated worker, which owns the database: the
    // other tabs go on through it. (Where a browser freezes the worker too, the page's
    // 'freeze' handler ends its worker first so that another tab takes over: see WorkerLink.)
    await cdp.send('Page.setWebLifecycleState', { state: 'frozen' })
    const COUNT = 10
    await Promise.all(others.map((tab, i) => startWriter(tab, `frozen ${'BC'[i]}`, sinks, COUNT)))
    await Promise.all(others.map(finishWriter))
    expect(failures).toEqual([])
    const expected = committedWith('frozen ')
    expect(expected).toHaveLength(2 * COUNT)
    for (const tab of others)
      await expect.poll(() => listed(tab, 'frozen '), LONG).toEqual(expected)
    await cdp.send('Page.setWebLifecycleState', { state: 'active' })
    await cdp.detach()
    await expect.poll(() => listed(owner, 'frozen '), LONG).toEqual(expected)
  })

  it('after reloading every tab at once, everything is still there and syncs', async () => {
    await Promise.all(tabs.map((tab) => tab.reload()))
    await Promise.all(tabs.map(appReady))
    const owner = await ownerOf(tabs)
    await converged('', [...committed])
    await expect
      .poll(() => owner.getByRole('status', { name: 'Sync status' }).textContent(), LONG)
      .toContain('All changes synced')
  })
})
