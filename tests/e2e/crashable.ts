import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { type Browser, chromium, type Page } from 'playwright-core'
import { CHROMIUM, CHROMIUM_FLAGS } from './chromium.js'

/**
 * A Chromium the test launches itself on a given profile, so that it can be killed like a crash
 * (SIGKILL to its whole process group, no shutdown of any kind) and relaunched on the same
 * profile. Playwright's own launch gives no process to kill; this one is driven over CDP.
 */
export class CrashableBrowser {
  private constructor(
    private readonly child: ChildProcess,
    private readonly browser: Browser,
    readonly page: Page,
    private readonly profile: string,
  ) {}

  static async launch(profile: string): Promise<CrashableBrowser> {
    const child = spawn(
      CHROMIUM,
      [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, '--remote-debugging-port=0', 'about:blank'],
      // Its own process group, so one kill reaches the browser and every helper process.
      { detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
    )
    try {
      const endpoint = await new Promise<string>((resolve, reject) => {
        let seen = ''
        child.stderr?.on('data', (chunk: Buffer) => {
          seen += chunk.toString()
          const match = /DevTools listening on (ws:\/\/\S+)/.exec(seen)
          if (match) resolve(match[1]!)
        })
        child.once('exit', (code) => reject(new Error(`chromium exited (${code}): ${seen}`)))
      })
      const browser = await chromium.connectOverCDP(endpoint)
      const context = browser.contexts()[0]!
      const page = context.pages()[0] ?? (await context.newPage())
      page.on('pageerror', (error) => console.error('[crashable] page error:', error))
      return new CrashableBrowser(child, browser, page, profile)
    } catch (error) {
      killGroup(child)
      throw error
    }
  }

  /** SIGKILLs every process of this browser at once: synchronous, so it can follow an event. */
  kill(): void {
    killGroup(this.child)
  }

  /** Resolves once no process of this browser (found by its profile) is left. */
  async exited(): Promise<void> {
    while (processesOf(this.profile) > 0) await new Promise((r) => setTimeout(r, 50))
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => {})
    this.kill()
    await this.exited()
  }
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL')
  } catch {
    // Already gone (ESRCH): killed before, or it exited on its own.
  }
}

/** How many live processes run with `profile` in their command line. */
function processesOf(profile: string): number {
  let count = 0
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      const state = readFileSync(`/proc/${pid}/stat`, 'utf8')
      // A killed process that nobody reaped yet is a zombie: it holds nothing any more.
      if (/^\d+ \(.*\) Z/.test(state)) continue
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(profile)) count++
    } catch {
      // The process ended while being looked at.
    }
  }
  return count
}
