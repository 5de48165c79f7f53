import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { type RunningServer, startServer } from '@tidings/server'
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core'
import { describe } from 'vitest'
import { CHROMIUM, CHROMIUM_FLAGS } from './chromium.js'

export { CHROMIUM }

/** What the app exposes as `window.tidings` (its open browser client), as the tests use it. */
interface AppClient {
  readonly clientId: string
  readonly storage: string
  rejected(): Promise<Array<{ id: string }>>
  inspector(): { debugBundle(): Promise<unknown> }
  transaction(
    fn: (tx: {
      create(type: 'document', fields: { title: string; author: string }): Promise<unknown>
    }) => Promise<void>,
  ): Promise<void>
}
declare global {
  interface Window {
    tidings?: AppClient
  }
}

export const ROOT = resolve(import.meta.dirname, '../..')
export const DIST = join(ROOT, 'examples/library/dist')
export const RESULTS = join(ROOT, 'test-results/e2e')

/**
 * `describe` for suites that need Chromium. Without it: in CI a failing suite saying so,
 * elsewhere a printed warning and a skip (never a silent one).
 */
export function describeBrowser(name: string, body: () => void): void {
  if (existsSync(CHROMIUM)) {
    describe(name, body)
    return
  }
  const why = `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH`
  if (process.env.CI) {
    describe(name, () => {
      throw new Error(`e2e: ${why}`)
    })
    return
  }
  console.warn(`e2e: skipping "${name}": ${why}`)
  describe.skip(name, body)
}

/** The sync server in this process, serving the built app, on a fresh SQLite file. */
export async function startApp(
  options: Pick<Parameters<typeof startServer>[0] & object, 'limits' | 'schema'> = {},
): Promise<RunningServer & { dir: string }> {
  if (!existsSync(join(DIST, 'index.html'))) {
    throw new Error(`${DIST} is not built: run npm run build -w @tidings/example-library`)
  }
  const dir = await mkdtemp(join(tmpdir(), 'tidings-e2e-'))
  const server = await startServer({
    db: `sqlite:${join(dir, 'server.db')}`,
    port: 0,
    static: DIST,
    demo: true,
    logger: false,
    ...options,
  })
  return Object.assign(server, { dir })
}

/** One device: a Chromium profile of its own (persistent, so OPFS survives reloads). */
export class Device {
  private constructor(
    readonly name: string,
    readonly context: BrowserContext,
    readonly page: Page,
    private readonly profile: string,
  ) {}

  static async open(name: string, url: string, path = '/'): Promise<Device> {
    const profile = await mkdtemp(join(tmpdir(), `tidings-${name}-`))
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_FLAGS,
      headless: true,
      viewport: { width: 900, height: 760 },
    })
    const page = context.pages()[0] ?? (await context.newPage())
    page.on('pageerror', (error) => console.error(`[${name}] page error:`, error))
    page.on('console', (message) => {
      if (message.type() === 'error') console.error(`[${name}] console:`, message.text())
    })
    const device = new Device(name, context, page, profile)
    await device.goto(url + path)
    return device
  }

  async goto(url: string): Promise<void> {
    await this.page.goto(url)
    await this.list().or(this.page.getByText('No documents yet')).first().waitFor()
  }

  async reload(): Promise<void> {
    await this.page.reload()
    await this.list().or(this.page.getByText('No documents yet')).first().waitFor()
  }

  list(): Locator {
    return this.page.getByRole('list', { name: 'Documents' })
  }

  /** The document card whose (accessible) name is its title. */
  item(title: string): Locator {
    return this.list().getByRole('listitem', { name: title, exact: true })
  }

  status(): Locator {
    return this.page.getByRole('status', { name: 'Sync status' })
  }

  async add(fields: { title: string; author: string; url?: string }): Promise<void> {
    const form = this.page.getByRole('form', { name: 'New document' })
    await form.getByLabel('Title').fill(fields.title)
    await form.getByLabel('Author').fill(fields.author)
    if (fields.url) await form.getByLabel('URL').fill(fields.url)
    await form.getByRole('button', { name: 'Add document' }).click()
    await this.item(fields.title).waitFor()
  }

  async editTitle(from: string, to: string): Promise<void> {
    await this.item(from).getByRole('button', { name: 'Edit' }).click()
    const form = this.page.getByRole('form', { name: `Edit ${from}` })
    await form.getByLabel('Title').fill(to)
    await form.getByRole('button', { name: 'Save' }).click()
    await this.item(to).waitFor()
  }

  async syncNow(): Promise<void> {
    await this.page.getByRole('button', { name: 'Sync now' }).click()
  }

  /** Titles in list order. */
  async titles(): Promise<string[]> {
    if ((await this.list().count()) === 0) return []
    return this.list()
      .getByRole('listitem')
      .evaluateAll((items) => items.map((item) => item.getAttribute('aria-label') ?? ''))
  }

  async screenshot(name: string): Promise<string> {
    await mkdir(RESULTS, { recursive: true })
    const path = join(RESULTS, `${name}-${this.name}.png`)
    await this.page.screenshot({ path, fullPage: true })
    return path
  }

  async close(): Promise<void> {
    await this.context.close()
    await rm(this.profile, { recursive: true, force: true })
  }
}
