import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { CrashableBrowser } from './crashable.js'
import { Device, describeBrowser, startApp } from './harness.js'

/** The parts of the app's client (`window.tidings`) these tests use. */
interface Client {
  readonly storage: string
  readonly durability?: { writes: string; synchronous: string }
  create(type: 'document', fields: { title: string; author: string }): Promise<unknown>
  fetch(type: 'document'): Promise<Array<{ title: string }>>
  transaction(
    fn: (tx: { create(type: 'document', fields: object): Promise<unknown> }) => Promise<void>,
  ): Promise<void>
}
type Tidings = { tidings: Client }

const ROUNDS = 3
/** Acknowledged writes seen before each kill: enough that writes are flowing at full speed. */
const ACKED_BEFORE_KILL = 12
/** Stored documents, as in the report (2,000 made each whole-image snapshot 1.85 MB). */
const SEED = 2_000
/** The origin's storage quota, then a transaction of about 4 MB that cannot fit in it. */
const QUOTA = 1024 * 1024
const OVER_QUOTA = 1_000

// "Committed" must mean saved (issue 13, case 8): a write's promise resolves only once the
// write is durable in the device's storage, a failed save reaches the app, and OPFS runs the
// durability its README states.
describeBrowser('durability of acknowledged writes in Chromium', () => {
  // One server per test: devices of the demo user share their documents through it.
  let server: Awaited<ReturnType<typeof startApp>>
  beforeEach(async () => {
    server = await startApp()
  })
  afterEach(async () => {
    await server?.close()
  })

  it('keeps every acknowledged write on IndexedDB when the browser is killed right after', async () => {
    const profile = await mkdtemp(join(tmpdir(), 'tidings-crash-'))
    const acked: string[] = []
    // Whatever fails, no browser of this test outlives it.
    let browser: CrashableBrowser | null = null
    try {
      for (let round = 0; round <= ROUNDS; round++) {
        browser = await CrashableBrowser.launch(profile)
        const page = browser.page
        await open(page, `${server.url}/?storage=indexeddb`)
        const titles = new Set(
          await page.evaluate(async () => {
            return (await (window as unknown as Tidings).tidings.fetch('document')).map(
              (doc) => doc.title,
            )
          }),
        )
        expect(acked.filter((title) => !titles.has(title))).toEqual([])
        if (round === ROUNDS) break
        if (round === 0) await seed(page)
        // The page writes one document after another and logs each one its promise resolved
        // for; the browser dies the moment this process reads the log line of the last one.
        const running = browser
        const killed = new Promise<void>((resolve) => {
          page.on('console', (message) => {
            const title = /^acked (.*)$/.exec(message.text())?.[1]
            if (title === undefined) return
            acked.push(title)
            if (title === `round ${round} write ${ACKED_BEFORE_KILL}`) {
              running.kill()
              resolve()
            }
          })
        })
        void page
          .evaluate(async (round) => {
            for (let i = 0; ; i++) {
              const title = `round ${round} write ${i}`
              await (window as unknown as Tidings).tidings.create('document', {
                title,
                author: 'Crash Test',
              })
              console.info(`acked ${title}`)
            }
          }, round)
          .catch(() => {}) // ends with the browser
        await killed
        await running.exited()
        browser = null
      }
    } finally {
      await browser?.close()
      await rm(profile, { recursive: true, force: true })
    }
    expect(acked.length).toBeGreaterThanOrEqual(ROUNDS * (ACKED_BEFORE_KILL + 1))
  })

  it('a failed IndexedDB save rejects the write and shows in the status, until a save succeeds', async () => {
    const profile = await mkdtemp(join(tmpdir(), 'tidings-quota-'))
    const browser = await CrashableBrowser.launch(profile)
    try {
      const page = browser.page
      const status = page.getByRole('status', { name: 'Sync status' })
      const cdp = await page.context().newCDPSession(page)
      const origin = new URL(server.url).origin
      // Chromium reads an origin's quota when IndexedDB first writes there and counts down from
      // it, asking again only when a write would not fit: so the quota is set before the app.
      await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: QUOTA })
      await open(page, `${server.url}/?storage=indexeddb`)
      await page.evaluate(async () => {
        await (window as unknown as Tidings).tidings.create('document', {
          title: 'Saved before the quota',
          author: 'Quota',
        })
      })
      const failed = await page.evaluate(async (count) => {
        // Random text, so that no compression makes it fit.
        const noise = () => {
          const bytes = crypto.getRandomValues(new Uint8Array(2_000))
          return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
        }
        try {
          await (window as unknown as Tidings).tidings.transaction(async (tx) => {
            for (let i = 0; i < count; i++) {
              await tx.create('document', { title: `Over the quota ${i}`, author: noise() })
            }
          })
          return null
        } catch (error) {
          return (error as { code?: string }).code ?? String(error)
        }
      }, OVER_QUOTA)
      expect(failed).toBe('not_saved')
      await expect.poll(() => status.textContent()).toContain('Not saved on this device')

      await cdp.send('Storage.overrideQuotaForOrigin', { origin })
      await page.evaluate(async () => {
        await (window as unknown as Tidings).tidings.create('document', {
          title: 'Saved after the quota',
          author: 'Quota',
        })
      })
      await expect.poll(() => status.textContent()).not.toContain('Not saved')
      // The changes whose save failed are saved along with the next one.
      await open(page, `${server.url}/?storage=indexeddb`)
      const titles = await page.evaluate(async () =>
        (await (window as unknown as Tidings).tidings.fetch('document')).map((doc) => doc.title),
      )
      expect(titles).toHaveLength(OVER_QUOTA + 2)
      expect(titles).toContain('Saved after the quota')
    } finally {
      await browser.close()
      await rm(profile, { recursive: true, force: true })
    }
  })

  it('runs OPFS with synchronous=FULL after reopening an existing database', async () => {
    const device = await Device.open('opfs-sync', server.url)
    try {
      await device.add({ title: 'Reopened on OPFS', author: 'Durable' })
      await device.reload()
      expect(await device.titles()).toEqual(['Reopened on OPFS'])
      expect(await device.page.evaluate(() => (window as unknown as Tidings).tidings.storage)).toBe(
        'opfs',
      )
      expect(
        await device.page.evaluate(() => (window as unknown as Tidings).tidings.durability),
      ).toEqual({
        writes: 'saved',
        synchronous: 'full',
      })
    } finally {
      await device.close()
    }
  })
})

/** Opens the app and waits until it has rendered its first list. */
async function open(page: Page, url: string): Promise<void> {
  await page.goto(url)
  await page
    .getByRole('list', { name: 'Documents' })
    .or(page.getByText('No documents yet'))
    .first()
    .waitFor()
}

async function seed(page: Page): Promise<void> {
  await page.evaluate(async (count) => {
    for (let start = 0; start < count; start += 100) {
      await (window as unknown as Tidings).tidings.transaction(async (tx) => {
        for (let i = start; i < start + 100; i++) {
          await tx.create('document', { title: `Seeded ${i}`, author: `Author ${i % 37}` })
        }
      })
    }
  }, SEED)
}
