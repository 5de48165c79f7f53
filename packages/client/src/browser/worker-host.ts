import type { Limits } from '@tidings/protocol'
import { openClient } from '../api/client.js'
import type { Schema } from '../schema/define.js'
import type { Shapes } from '../schema/types.js'
import { loadSqlite, openWaSqlite } from './open-wa-sqlite.js'
import type { HostedClient } from './serve.js'
import { serveTab } from './serve-tab.js'

export interface HostWorkerOptions<S extends Shapes> {
  schema: Schema<S>
  /** Must match the server's limits (see `openClient`). */
  limits?: Partial<Limits>
  /** How many local transactions `undo()` can go back (see `openClient`). */
  undoLimit?: number
}

/**
 * Runs the client inside this dedicated module worker, on wa-sqlite (OPFS, else IndexedDB),
 * answering `openBrowserClient` on the page. Each tab runs one; the tab holding the database's
 * Web Lock opens the database, and every other tab works through it (see `serveTab`). The app's worker file is just:
 *
 * ```ts
 * import { hostWorker } from '@tidings/client/browser/worker'
 * import { schema } from './schema'
 * hostWorker({ schema })
 * ```
 */
export function hostWorker<S extends Shapes>(options: HostWorkerOptions<S>): void {
  const scope = globalThis as unknown as Parameters<typeof serveTab>[0]
  // Compile SQLite while the page is still preparing its `open` request.
  const module = loadSqlite()
  module.catch(() => {}) // reported by the `open` that awaits it
  // Every tab runs this worker; the one holding the database's Web Lock opens it for all.
  serveTab(scope, {
    open: async (request) => {
      const opened = await openWaSqlite({ name: request.name, storage: request.storage, module })
      try {
        const client = await openClient({
          schema: options.schema,
          database: opened.database,
          ...(request.server ? { server: request.server } : {}),
          ...(options.limits ? { limits: options.limits } : {}),
          ...(options.undoLimit !== undefined ? { undoLimit: options.undoLimit } : {}),
        })
        return {
          client: client as unknown as HostedClient,
          clientId: client.clientId,
          storage: opened.storage,
          durability: opened.durability,
          status: client.status,
          saves: opened.saves,
        }
      } catch (error) {
        opened.database.close()
        throw error
      }
    },
  })
}
