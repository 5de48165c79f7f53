import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { type RunningServer, startServer } from '@tidings/server'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { required } from '../../packages/server/src/testing/required.js'
import { CHROMIUM, CHROMIUM_FLAGS } from '../../tests/e2e/chromium.js'
import type { BenchContext } from './context.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const DIST = path.join(ROOT, 'examples/library/dist')

/** Chromium is there (else: in CI a `missing_part` error, elsewhere a warning and false). */
export const hasChromium = (bench: string): boolean =>
  required(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing (apt-get install -y chromium, or set CHROMIUM_PATH)`,
    `the ${bench} rows are left out`,
  )

/** What the app's bundle is built from (as tests/e2e/global-setup.ts checks). */
const SOURCES = [
  'examples/library/src',
  'examples/library/index.html',
  'packages/client/src',
  'packages/react/src',
  'packages/protocol/src',
]
const newest = (file: string): number => {
  const stat = statSync(file)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(0, ...readdirSync(file).map((entry) => newest(path.join(file, entry))))
}

/** The example app's build, made when missing or older than its sources: never stale numbers. */
const appDist = (ctx: BenchContext): string => {
  const index = path.join(DIST, 'index.html')
  const built = existsSync(index) ? statSync(index).mtimeMs : 0
  if (built < Math.max(...SOURCES.map((source) => newest(path.join(ROOT, source))))) {
    ctx.log('building the example app (examples/library/dist is missing or stale)')
    execFileSync('npm', ['run', 'build', '-w', '@tidings/example-library'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, NODE_ENV: 'production' },
    })
  }
  return DIST
}

/** A sync server in this process serving the example app, its demo user's token, Chromium. */
export interface BrowserRig {
  server: RunningServer
  token: string
  context: BrowserContext
  /** A new tab on the app, once it shows its list (or says it is empty). */
  appTab(): Promise<Page>
  /** A tab of the app's origin that runs no app: for workers spoken to in RPC messages. */
  bareTab(): Promise<Page>
  /** The app's worker script (`/assets/tidings.worker-*.js`). */
  workerUrl: string
}

export const withBrowser = async <T>(
  ctx: BenchContext,
  fn: (rig: BrowserRig) => Promise<T>,
): Promise<T> => {
  const dist = appDist(ctx)
  const dir = mkdtempSync(path.join(ctx.tmp, 'browser-'))
  const server = await startServer({
    db: `sqlite:${path.join(dir, 'server.db')}`,
    port: 0,
    static: dist,
    demo: true,
    logger: false,
  })
  const worker = readdirSync(path.join(dist, 'assets')).find((f) =>
    /^tidings\.worker-.*\.js$/.test(f),
  )
  let context: BrowserContext | null = null
  try {
    if (!worker) throw new Error(`no tidings.worker-*.js in ${dist}/assets`)
    const config = (await (await fetch(`${server.url}/config.json`)).json()) as { token: string }
    context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
      executablePath: CHROMIUM,
      args: CHROMIUM_FLAGS,
      headless: true,
    })
    const open = context
    const appTab = async () => {
      const page = await open.newPage()
      await page.goto(server.url)
      await page
        .getByRole('list', { name: 'Documents' })
        .or(page.getByText('No documents yet'))
        .first()
        .waitFor({ timeout: 120_000 })
      return page
    }
    const bareTab = async () => {
      const page = await open.newPage()
      await page.goto(`${server.url}/config.json`)
      return page
    }
    return await fn({
      server,
      token: config.token,
      context,
      appTab,
      bareTab,
      workerUrl: `/assets/${worker}`,
    })
  } finally {
    await context?.close()
    await server.close()
  }
}

/**
 * Installs `window.rpc` in a bare tab: a worker of the app spoken to in the RPC's messages
 * (packages/client/src/browser/rpc.ts), so that no rendering on the page's thread enters the
 * numbers. `rpc.rows` counts every row posted to the page by live queries.
 */
export const installRpc = (page: Page, workerUrl: string) =>
  page.evaluate((url) => {
    const port = new Worker(url, { type: 'module', name: 'bench' })
    let next = 1
    const waiting = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>()
    const observers = new Map<number, (rows: unknown[]) => void>()
    const rpc = {
      rows: 0,
      ask(message: object): Promise<unknown> {
        return new Promise((resolve, reject) => {
          const id = next++
          waiting.set(id, { resolve, reject })
          port.postMessage({ ...message, id })
        })
      },
      /** Opens a live query; resolves with its id once its first rows arrived. */
      observe(type: string, query: unknown, onRows?: (rows: unknown[]) => void): Promise<number> {
        const id = next++
        return new Promise((resolve) => {
          observers.set(id, (rows) => {
            onRows?.(rows)
            resolve(id)
          })
          port.postMessage({ kind: 'observe', id, type, query })
        })
      },
      unobserve(id: number): void {
        observers.delete(id)
        port.postMessage({ kind: 'unobserve', id })
      },
      end(): void {
        port.terminate()
      },
    }
    port.onmessage = (event) => {
      const reply = event.data as { kind: string; id: number; value?: unknown; error?: unknown }
      if (reply.kind === 'rows') {
        const rows = (reply as unknown as { rows: unknown[] }).rows
        rpc.rows += rows.length
        observers.get(reply.id)?.(rows)
      }
      if (reply.kind === 'diff') {
        // The rows a diff carries (the ones the page did not hold); observers get the count.
        const parts = (
          reply as unknown as { diff: Array<{ keep?: [number, number]; rows?: unknown[] }> }
        ).diff
        const rows = parts.flatMap((part) => part.rows ?? [])
        rpc.rows += rows.length
        const length = parts.reduce((n, part) => n + (part.keep?.[1] ?? part.rows?.length ?? 0), 0)
        observers.get(reply.id)?.(Array.from({ length }))
      }
      if (reply.kind === 'result') waiting.get(reply.id)?.resolve(reply.value)
      if (reply.kind === 'error') waiting.get(reply.id)?.reject(JSON.stringify(reply.error))
      if (reply.kind === 'result' || reply.kind === 'error') waiting.delete(reply.id)
    }
    ;(window as unknown as { rpc: typeof rpc }).rpc = rpc
  }, workerUrl)
