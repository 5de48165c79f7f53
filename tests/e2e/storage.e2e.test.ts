import { afterAll, beforeAll, expect, it } from 'vitest'
import { Device, describeBrowser, startApp } from './harness.js'

// Where OPFS is missing (private windows of some browsers) the worker keeps the database in
// IndexedDB instead; `?storage=indexeddb` makes the app take that path in Chromium too.
describeBrowser('browser storage in Chromium', () => {
  let server: Awaited<ReturnType<typeof startApp>>
  let device: Device

  beforeAll(async () => {
    server = await startApp()
    device = await Device.open('idb', server.url, '/?storage=indexeddb')
  })
  afterAll(async () => {
    await device?.close()
    await server?.close()
  })

  it('keeps documents across reloads and says where it keeps them', async () => {
    expect(await device.page.evaluate(() => window.tidings?.storage)).toBe('indexeddb')
    await expect(device.page.getByText('kept in IndexedDB').isVisible()).resolves.toBe(true)
    await device.add({ title: 'Kept in IndexedDB', author: 'Grace Hopper' })
    await device.editTitle('Kept in IndexedDB', 'Still kept in IndexedDB')
    const clientId = await device.page.evaluate(() => window.tidings?.clientId)
    await device.reload()
    expect(await device.titles()).toEqual(['Still kept in IndexedDB'])
    expect(await device.page.evaluate(() => window.tidings?.clientId)).toBe(clientId)
    await device.screenshot('indexeddb')
  })
})
