import { afterAll, beforeAll, expect, it } from 'vitest'
import { Device, describeBrowser, startApp } from './harness.js'

const LONG = { timeout: 60_000 }

// A change the server refuses for good (here: a value over the server's size limit, which the
// device cannot know in advance) must not hold back the changes after it, and the app says so.
describeBrowser('refused changes in Chromium', () => {
  let server: Awaited<ReturnType<typeof startApp>>
  let laptop: Device
  let phone: Device

  beforeAll(async () => {
    server = await startApp({ limits: { maxValueBytes: 120 } })
    laptop = await Device.open('refusing-laptop', server.url)
    phone = await Device.open('refusing-phone', server.url)
  })
  afterAll(async () => {
    await laptop?.close()
    await phone?.close()
    await server?.close()
  })

  it('sets a refused change aside, syncs the next one, and lets the user discard it', async () => {
    await expect.poll(() => laptop.status().textContent(), LONG).toContain('Online')
    const long = `A title far longer than this server takes: ${'x'.repeat(200)}`
    await laptop.add({ title: long, author: 'Too Long' })
    await laptop.add({ title: 'Short and fine', author: 'Brief' })

    const refused = laptop.page.getByRole('button', { name: '1 change refused by the server' })
    await refused.waitFor(LONG)
    // The change after the refused one still reached the other device.
    await phone.item('Short and fine').waitFor(LONG)
    expect(await phone.titles()).not.toContain(long)
    await expect.poll(() => laptop.status().textContent(), LONG).toContain('All changes synced')
    // The refused change stays visible on the device that made it.
    expect(await laptop.titles()).toContain(long)
    await laptop.screenshot('refused')

    await refused.click()
    const list = laptop.page.getByRole('list', { name: 'Refused changes' })
    await expect.poll(() => list.textContent(), LONG).toMatch(/\S/)
    await list.getByRole('button', { name: 'Discard refused change 1' }).click()
    await refused.waitFor({ state: 'detached', timeout: 60_000 })
    expect(await laptop.page.evaluate(() => window.tidings?.rejected())).toEqual([])
  })
})
