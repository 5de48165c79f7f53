import { copyFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Device, describeBrowser, ROOT, startApp } from './harness.js'

const LONG = { timeout: 60_000 }

// Two devices of the demo user (two Chromium profiles) against one real server, through the
// example app's UI only: what a user sees is what is asserted.
describeBrowser('Document Library in Chromium', () => {
  let server: Awaited<ReturnType<typeof startApp>>
  let laptop: Device
  let phone: Device

  beforeAll(async () => {
    server = await startApp()
    laptop = await Device.open('laptop', server.url)
    phone = await Device.open('phone', server.url)
  })
  afterAll(async () => {
    await laptop?.close()
    await phone?.close()
    await server?.close()
  })

  it('a document added on one device appears on the other', async () => {
    await expect.poll(() => laptop.status().textContent(), LONG).toContain('Online')
    await laptop.add({
      title: 'Sapiens',
      author: 'Yuval Noah Harari',
      url: 'https://www.ynharari.com/',
    })
    await laptop.add({ title: 'The Pragmatic Programmer', author: 'Hunt & Thomas' })
    // Automatic sync: no button pressed on either device.
    await phone.item('Sapiens').waitFor({ timeout: 60_000 })
    await phone.item('The Pragmatic Programmer').waitFor({ timeout: 60_000 })
    expect(await phone.item('Sapiens').textContent()).toContain('Yuval Noah Harari')
    await expect.poll(() => laptop.status().textContent(), LONG).toContain('All changes synced')
    await laptop.screenshot('added')
    await phone.screenshot('added')
  })

  it('concurrent edits while one device is offline converge on the same winner', async () => {
    await laptop.add({ title: 'Analytical Engine notes', author: 'Ada Lovelace' })
    await phone.item('Analytical Engine notes').waitFor({ timeout: 60_000 })

    await phone.context.setOffline(true)
    await laptop.editTitle('Analytical Engine notes', 'Notes on the Analytical Engine')
    await expect.poll(() => laptop.status().textContent(), LONG).toContain('All changes synced')
    // The phone edits later (a greater HLC), without having seen the laptop's edit.
    await phone.editTitle('Analytical Engine notes', 'Sketch of the Analytical Engine')
    await phone.syncNow()
    await expect.poll(() => phone.status().textContent(), LONG).toContain('Offline')
    expect(await phone.status().textContent()).toContain('1 change pending')
    // The reason shows beside the state, not only in a tooltip.
    expect(await phone.status().locator('.reason').textContent()).not.toBe('')
    await phone.screenshot('offline')

    await phone.context.setOffline(false)
    await phone.syncNow()
    await expect.poll(() => phone.status().textContent(), LONG).toContain('All changes synced')
    await laptop.item('Sketch of the Analytical Engine').waitFor({ timeout: 60_000 })
    await expect.poll(() => phone.titles(), LONG).toEqual(await laptop.titles())
    expect(await phone.titles()).toContain('Sketch of the Analytical Engine')
    expect(await phone.titles()).not.toContain('Notes on the Analytical Engine')
    const shot = await laptop.screenshot('converged')
    await phone.screenshot('converged')
    // The README's picture of the app: refreshed on request only, as it is committed.
    if (process.env.UPDATE_SCREENSHOT)
      await copyFile(shot, join(ROOT, 'examples/library/screenshot.png'))
  })

  it("saving a title keeps another device's concurrent author change (only changed fields are sent)", async () => {
    await laptop.add({ title: 'On Computable Numbers', author: 'Turing' })
    await phone.item('On Computable Numbers').waitFor({ timeout: 60_000 })
    // The laptop opens the edit form while the phone, offline, corrects the author.
    await laptop.item('On Computable Numbers').getByRole('button', { name: 'Edit' }).click()
    await phone.context.setOffline(true)
    await phone.item('On Computable Numbers').getByRole('button', { name: 'Edit' }).click()
    const phoneForm = phone.page.getByRole('form', { name: 'Edit On Computable Numbers' })
    await phoneForm.getByLabel('Author').fill('Alan Turing')
    await phoneForm.getByRole('button', { name: 'Save' }).click()
    const laptopForm = laptop.page.getByRole('form', { name: 'Edit On Computable Numbers' })
    await laptopForm.getByLabel('Title').fill('On Computable Numbers (1936)')
    await laptopForm.getByRole('button', { name: 'Save' }).click()
    await phone.context.setOffline(false)
    await phone.syncNow()
    await laptop.syncNow()
    const merged = (p: typeof laptop) =>
      p.item('On Computable Numbers (1936)').locator('.author').textContent()
    await expect.poll(() => merged(laptop), LONG).toBe('Alan Turing')
    await expect.poll(() => merged(phone), LONG).toBe('Alan Turing')
  })

  it('is usable with a keyboard and a screen reader: named buttons, focus kept, delete asks first', async () => {
    const card = laptop.item('The Pragmatic Programmer')
    const edit = card.getByRole('button', { name: 'Edit The Pragmatic Programmer', exact: true })
    await edit.click()
    await laptop.page
      .getByRole('form', { name: 'Edit The Pragmatic Programmer' })
      .getByRole('button', { name: 'Cancel' })
      .click()
    // Focus goes back to the button that opened the form, not to the page's body.
    await expect.poll(() => edit.evaluate((button) => button === document.activeElement)).toBe(true)
    await card.getByRole('button', { name: 'Delete The Pragmatic Programmer', exact: true }).click()
    const question = card.getByRole('group', { name: 'Delete this document?' })
    await question.getByRole('button', { name: 'Keep' }).click()
    expect(await laptop.titles()).toContain('The Pragmatic Programmer')
    // A routine sync is not announced: the live region says only what changed for a person.
    const announced = laptop.page.getByTestId('sync-announcement')
    await expect.poll(() => announced.textContent(), LONG).toBe('Online')
    await laptop.syncNow()
    await expect.poll(() => laptop.status().textContent(), LONG).toContain('All changes synced')
    expect(await announced.textContent()).toBe('Online')
  })

  it('a document deleted on one device disappears from the other', async () => {
    const card = phone.item('The Pragmatic Programmer')
    await card.getByRole('button', { name: 'Delete' }).click()
    await card.getByRole('button', { name: 'Yes, delete' }).click()
    // The card is gone: focus is on the list's heading, not on the page's body.
    await expect
      .poll(() => phone.page.evaluate(() => document.activeElement?.id))
      .toBe('documents-heading')
    await phone.item('The Pragmatic Programmer').waitFor({ state: 'detached' })
    await laptop.item('The Pragmatic Programmer').waitFor({ state: 'detached', timeout: 60_000 })
    await expect.poll(() => laptop.titles(), LONG).toEqual(await phone.titles())
  })

  it('Undo and Redo (buttons, then Ctrl+Z and Ctrl+Shift+Z) take an edit back and forth, on every device', async () => {
    const button = (name: string) => laptop.page.getByRole('button', { name, exact: true })
    await laptop.add({ title: 'Flatland', author: 'Edwin Abbott' })
    await laptop.editTitle('Flatland', 'Flatland: A Romance')
    await button('Undo').click()
    await laptop.item('Flatland').waitFor()
    await phone.item('Flatland').waitFor({ timeout: 60_000 })
    expect(await button('Redo').isEnabled()).toBe(true)
    await button('Redo').click()
    await laptop.item('Flatland: A Romance').waitFor()
    await expect.poll(() => button('Redo').isDisabled(), LONG).toBe(true)
    // The keys act outside text fields only (there the browser's own undo applies).
    await laptop.page.locator('body').click({ position: { x: 1, y: 1 } })
    await laptop.page.keyboard.press('Control+Z')
    await laptop.item('Flatland').waitFor()
    await laptop.page.keyboard.press('Control+Shift+Z')
    await laptop.item('Flatland: A Romance').waitFor()
    await phone.item('Flatland: A Romance').waitFor({ timeout: 60_000 })
  })

  it('the data is still there after a reload', async () => {
    const before = await laptop.titles()
    const clientId = await laptop.page.evaluate(() => window.tidings?.clientId)
    await laptop.reload()
    expect(await laptop.titles()).toEqual(before)
    // The same device identity: the rows came from this profile's OPFS database.
    expect(await laptop.page.evaluate(() => window.tidings?.clientId)).toBe(clientId)
    expect(await laptop.page.evaluate(() => window.tidings?.storage)).toBe('opfs')
  })
})
