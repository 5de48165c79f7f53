import { defineSchema, ROUTES, routePath, t } from '@tidings/protocol'
import { openServerWriter } from '@tidings/server'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Device, describeBrowser, startApp } from './harness.js'

const LONG = { timeout: 30_000 }

/** The app's declaration (examples/library/src/schema.ts, which also registers React types). */
const schema = defineSchema({
  document: { title: t.string().index(), author: t.string().index(), url: t.string().optional() },
})

// Issue 17: a backend, a member of a shared library as its own service user, writes documents
// (in process with `openServerWriter`, and over HTTP) and they show up in the library's list on
// the demo user's browser, through live sync, without the page doing anything.
describeBrowser('Document Library: writes from a backend', () => {
  let server: Awaited<ReturnType<typeof startApp>>
  let demo: Device

  beforeAll(async () => {
    server = await startApp({ schema })
    demo = await Device.open('demo', server.url)
  })
  afterAll(async () => {
    await demo?.close()
    await server?.close()
  })

  it('a server-side write shows up in the list of a member’s browser', async () => {
    const page = demo.page
    await expect.poll(() => demo.status().textContent(), LONG).toContain('Online')
    await page.getByLabel('Library name').fill('Newsroom')
    await page.getByRole('button', { name: 'New shared library' }).click()
    await page.getByRole('button', { name: 'Invite', exact: true }).click()
    const code = await page.getByLabel('Invite code for this library').inputValue()

    // The backend's service user joins with the invite (a writer, as the invite grants).
    const backend = await server.addUser('backend')
    const joined = await fetch(`${server.url}${ROUTES.acceptInvite}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${backend.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    })
    const { space } = (await joined.json()) as { space: { id: string; role: string } }
    expect(space.role).toBe('writer')

    const writer = await openServerWriter({
      store: server.store,
      schema,
      user: 'backend',
      space: space.id,
    })
    await writer.create('document', { title: 'Written by the backend', author: 'A cron job' })
    await demo.item('Written by the backend').waitFor(LONG)

    const res = await fetch(`${server.url}${routePath(ROUTES.writes, { space: space.id })}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${backend.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        writes: [{ op: 'create', type: 'document', fields: { title: 'Over HTTP', author: 'Go' } }],
      }),
    })
    expect(res.status).toBe(200)
    await demo.item('Over HTTP').waitFor(LONG)
    expect((await demo.titles()).sort()).toEqual(['Over HTTP', 'Written by the backend'])
    await demo.screenshot('server-writer')
    await writer.close()
  }, 60_000)
})
