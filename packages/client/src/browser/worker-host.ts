import type { Limits } from '@tidings/protocol'
import { openClient } from '../api/client.js'
import type { Schema } from '../schema/define.js'
import type { Shapes } from '../schema/types.js'
import { loadSqlite, openWaSqlite } from './open-wa-sqlite.js'
import { type HostedClient, type Port, serveClient } from './serve.js'

export interface HostWorkerOptions<S extends Shapes> {
  schema: Schema<S>
  /** Must match the server's limits (see `openClient`). */
  limits?: Partial<Limits>
}

/**
 * Runs the client inside this dedicated module worker, on wa-sqlite (OPFS, else IndexedDB),
 * answering `openBrowserClient` on the page. The app's worker file is just:
 *
 * ```ts
 * import { hostWorker } from '@tidings/client/browser/worker'
 * import { schema } from './schema'
 * hostWorker({ schema })
 * ```
 */
export function hostWorker<S extends Shapes>(options: HostWorkerOptions<S>): void {
  const scope = globalThis as unknown as Port
  // Compile SQLite while the page is still preparing its `open` request.
  const module = loadSqlite()
  module.catch(() => {}) // reported by the `open` that awaits it
  serveClient(scope, async (request) => {
    const opened = await openWaSqlite({ name: request.name, storage: request.storage, module })
    try {
      const client = await openClient({
        schema: options.schema,
        database: opened.database,
        ...(request.server ? { server: request.server } : {}),
        ...(options.limits ? { limits: options.limits } : {}),
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
  })
}
