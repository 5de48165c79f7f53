import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openClient } from '../api/client.js'
import type { Saves } from '../browser/block-saver.js'
import {
  type BrowserClient,
  openBrowserClient,
  type WorkerLike,
} from '../browser/open-browser-client.js'
import type { HostedClient } from '../browser/serve.js'
import { serveTab } from '../browser/serve-tab.js'
import { openNodeDatabase } from '../node.js'
import type { ServerOptions } from '../sync/types.js'
import { type LibrarySchema, librarySchema } from './fixtures.js'
import { MemoryLocks } from './memory-locks.js'

/** The page's end of a tab's worker: a `MessagePort` that can also fire a worker's `error`. */
export class PageEnd extends EventTarget {
  constructor(
    private readonly port: MessagePort,
    /** What `Worker.terminate()` does: the worker ends at once. */
    readonly terminate: () => void,
  ) {
    super()
    port.addEventListener('message', (event) =>
      this.dispatchEvent(new MessageEvent('message', { data: event.data })),
    )
    port.start()
  }
  postMessage(message: unknown): void {
    this.port.postMessage(message)
  }
  /** What a worker's uncaught exception fires on the page. */
  throwUncaught(message: string): void {
    this.dispatchEvent(Object.assign(new Event('error'), { message }))
  }
}

export interface TestTab {
  client: BrowserClient<LibrarySchema>
  page: PageEnd
  /** Ends the tab like a crash: its worker stops hearing anything and its locks are released. */
  kill(): Promise<void>
}

/**
 * Tabs of one browser profile in Node: each tab's worker is `serveTab` behind a
 * `MessageChannel`, the tabs share a `BroadcastChannel` name and in-memory Web Locks, and the
 * database is one SQLite file (better-sqlite3) that whichever tab owns it opens.
 */
export class BrowserTabs {
  readonly locks = new MemoryLocks()
  readonly name = `library-${Math.random().toString(36).slice(2)}`
  readonly #dir = mkdtempSync(join(tmpdir(), 'tidings-tabs-'))
  readonly #ends: Array<() => Promise<void>> = []

  /**
   * Opens one more tab. `wrap` changes the client this tab serves if it becomes the owner
   * (to make it hang after a commit, say); `saves` stands for IndexedDB's saves.
   */
  async open(
    options: {
      saves?: Saves
      wrap?: (client: HostedClient) => HostedClient
      /** Give the page a function that starts workers (so it can restart one after a freeze). */
      restartable?: boolean
      /** The server the owner syncs with (a fake one, with its `fetch`). */
      server?: ServerOptions
    } = {},
  ): Promise<TestTab> {
    let current: (() => Promise<void>) | null = null
    const startWorker = (): PageEnd => {
      const { port1, port2 } = new MessageChannel()
      port1.start()
      const workerLocks = this.locks.holder()
      let channel: BroadcastChannel | null = null
      let hosted: HostedClient | null = null
      serveTab(port1, {
        locks: workerLocks,
        channel: (name) => (channel = new BroadcastChannel(`tidings:${name}`)),
        open: async () => {
          const client = await openClient({
            schema: librarySchema,
            database: openNodeDatabase(join(this.#dir, 'library.sqlite3')),
            ...(options.server ? { server: options.server } : {}),
          })
          hosted = client as unknown as HostedClient
          return {
            client: options.wrap ? options.wrap(hosted) : hosted,
            clientId: client.clientId,
            storage: options.saves ? 'indexeddb' : 'memory',
            durability: { writes: options.saves ? 'saved' : 'memory', synchronous: 'full' },
            status: client.status,
            saves: options.saves ?? null,
          }
        },
      })
      let killed = false
      const kill = async () => {
        if (killed) return
        killed = true
        port1.close()
        ;(channel as BroadcastChannel | null)?.close()
        workerLocks.end()
        await (hosted as HostedClient | null)?.close()
      }
      this.#ends.push(kill)
      current = kill
      return new PageEnd(port2, () => void kill())
    }
    const page = startWorker()
    let first: PageEnd | null = page
    const restart = () => {
      const next = first ?? startWorker()
      first = null
      return next
    }
    const client = await openBrowserClient<LibrarySchema>({
      worker: (options.restartable ? restart : page) as unknown as WorkerLike,
      name: this.name,
      locks: this.locks.holder(),
      onError: () => {},
    })
    return { client, page, kill: () => current?.() ?? Promise.resolve() }
  }

  async close(): Promise<void> {
    for (const end of this.#ends.splice(0)) await end()
    rmSync(this.#dir, { recursive: true, force: true })
  }
}
