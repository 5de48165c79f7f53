import { afterAll, beforeAll, expect, it } from 'vitest'
import { Device, describeBrowser, startApp } from './harness.js'

const LONG = { timeout: 30_000 }

/** Every document on the device, in every library it knows (not only the one on screen). */
const allTitles = (device: Device): Promise<string[]> =>
  device.page.evaluate(async () => {
    const client = window.tidings as unknown as {
      fetch(type: 'document', query: object): Promise<Array<{ title: string }>>
    }
    return (await client.fetch('document', {})).map((doc) => doc.title)
  })

// The demo server's two users, each in a Chromium profile of their own, share a library through
// the app's UI: create, invite by link, see its documents, lose them when removed.
describeBrowser('Document Library: shared libraries', () => {
  let server: Awaited<ReturnType<typeof startApp>>
  let demo: Device
  let friend: Device | undefined

  beforeAll(async () => {
    server = await startApp()
    demo = await Device.open('demo', server.url)
  })
  afterAll(async () => {
    await demo?.close()
    await friend?.close()
    await server?.close()
  })

  it('a friend invited to a library sees its documents, apart from their own, until removed', async () => {
    const page = demo.page
    await expect.poll(() => demo.status().textContent(), LONG).toContain('Online')
    await page.getByLabel('Library name').fill('Book club')
    await page.getByRole('button', { name: 'New shared library' }).click()
    const picker = page.getByRole('combobox', { name: 'Library', exact: true })
    await expect
      .poll(async () => picker.locator('option:checked').textContent())
      .toContain('Book club')
    await page.getByRole('button', { name: 'Invite', exact: true }).click()
    const code = await page.getByLabel('Invite code for this library').inputValue()
    expect(code).toMatch(/^[A-Za-z0-9_-]{22,}$/)
    await demo.add({ title: 'Dune', author: 'Frank Herbert' })
    await expect.poll(() => demo.status().textContent(), LONG).toContain('All changes synced')

    // The friend opens the invite link: joined, the library chosen, its history synced.
    friend = await Device.open('friend', server.url, `/?user=friend&invite=${code}`)
    await friend.page.getByText('You joined the library Book club.').waitFor(LONG)
    await friend.item('Dune').waitFor(LONG)
    await friend.page
      .getByRole('combobox', { name: 'Library', exact: true })
      .selectOption({ label: 'My library' })
    await friend.page.getByText('No documents yet').waitFor()
    expect(await friend.titles()).toEqual([])
    await friend.page
      .getByRole('combobox', { name: 'Library', exact: true })
      .selectOption({ label: 'Book club (writer)' })
    await friend.item('Dune').waitFor()
    expect(await allTitles(friend)).toEqual(['Dune'])

    // The owner removes the friend: the library and its documents leave the friend's device.
    await page.getByRole('button', { name: 'Refresh' }).click()
    const member = page.getByRole('list', { name: 'Members of this library' })
    await member
      .getByRole('listitem', { name: 'friend' })
      .getByRole('button', { name: 'Remove' })
      .click()
    await member.getByRole('listitem', { name: 'friend' }).waitFor({ state: 'detached' })
    await friend.syncNow()
    await friend.page.getByText('You are no longer a member of Book club').waitFor(LONG)
    await friend.item('Dune').waitFor({ state: 'detached', ...LONG })
    await expect.poll(() => allTitles(friend!), LONG).toEqual([])
    expect(await friend.page.getByRole('option', { name: /Book club/ }).count()).toBe(0)
    await friend.screenshot('removed')

    // A wrong code is refused in words.
    await friend.page.getByLabel('Invite code', { exact: true }).fill('A'.repeat(22))
    await friend.page.getByRole('button', { name: 'Join a library' }).click()
    await friend.page
      .getByRole('alert')
      .getByText('No such library, member or invite code.')
      .waitFor()
  }, 60_000)
})
