import { copyFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Device, describeBrowser, ROOT, startApp } from './harness.js'

const LONG = { timeout: 30_000 }
/** An HLC's date as the panel shows it. */
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

// The developer inspector of the example app, opened with `?inspect=1` (a production build:
// without the flag or a build flag it stays out). `UPDATE_SCREENSHOT=1` refreshes
// examples/library/docs/inspector.png from this test.
describeBrowser('Document Library: the inspector', () => {
  let server: Awaited<ReturnType<typeof startApp>>
  let device: Device

  beforeAll(async () => {
    server = await startApp()
    device = await Device.open('inspector', server.url, '/?inspect=1')
  })
  afterAll(async () => {
    await device?.close()
    await server?.close()
  })

  it('shows a document’s events with decoded HLCs, its history and the sync state, never the token', async () => {
    const { page } = device
    await device.add({ title: 'Dune', author: 'Frank Herbert' })
    await device.editTitle('Dune', 'Dune Messiah')
    await expect.poll(() => device.status().textContent(), LONG).toContain('All changes synced')
    const panel = page.getByRole('complementary', { name: 'Inspector' })
    await panel.getByRole('button', { name: 'Refresh' }).click()

    const events = panel.getByRole('table', { name: 'Events' })
    const title = events.getByRole('row').filter({ hasText: 'Dune Messiah' })
    await title.waitFor(LONG)
    const cells = await title.getByRole('cell').allTextContents()
    expect(cells[0]).toMatch(ISO)
    expect(cells[3]).toBe('title')
    expect(cells[5]).toBe('wins')
    await events.getByRole('row').filter({ hasText: 'overwritten' }).first().waitFor()
    expect(await panel.getByRole('list', { name: 'History' }).getByRole('listitem').count()).toBe(2)
    await expect.poll(() => panel.textContent()).toContain('this-tab')
    await expect.poll(() => panel.textContent()).toMatch(/Cursor\s*\S+/)

    // The token is the demo's public one here; the panel and the debug bundle still never show it.
    expect(await page.locator('body').textContent()).not.toContain('demo-token')
    const bundle = await page.evaluate(async () =>
      JSON.stringify(await window.tidings!.inspector().debugBundle()),
    )
    expect(bundle).toContain('Dune Messiah')
    expect(bundle).not.toContain('demo-token')

    const shot = await device.screenshot('inspector')
    if (process.env.UPDATE_SCREENSHOT) {
      await mkdir(join(ROOT, 'examples/library/docs'), { recursive: true })
      await copyFile(shot, join(ROOT, 'examples/library/docs/inspector.png'))
    }

    // Alt+I closes and opens it.
    await page.keyboard.press('Alt+KeyI')
    await panel.waitFor({ state: 'detached' })
    await page.keyboard.press('Alt+KeyI')
    await panel.waitFor()
  })

  it('inspects from a second tab too, through the tab that owns the database', async () => {
    const second = await device.context.newPage()
    await second.goto(`${server.url}/?inspect=1`)
    const panel = second.getByRole('complementary', { name: 'Inspector' })
    await panel
      .getByRole('table', { name: 'Events' })
      .getByRole('row')
      .filter({ hasText: 'Dune Messiah' })
      .waitFor(LONG)
    await expect.poll(() => panel.textContent(), LONG).toContain('another-tab')
    await second.close()
  })
})

describeBrowser('Document Library: the inspector stays out of production unless asked for', () => {
  let server: Awaited<ReturnType<typeof startApp>>
  let device: Device
  beforeAll(async () => {
    server = await startApp()
    device = await Device.open('no-inspector', server.url)
  })
  afterAll(async () => {
    await device?.close()
    await server?.close()
  })

  it('ignores the key without ?inspect=1', async () => {
    await device.page.keyboard.press('Alt+KeyI')
    await device.add({ title: 'Plain', author: 'Ada' })
    expect(await device.page.getByRole('complementary', { name: 'Inspector' }).count()).toBe(0)
  })
})
