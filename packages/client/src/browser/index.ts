// The page side of the browser client: no SQLite, no client core, only the RPC proxy.
// The worker side is the `@tidings/client/browser/worker` entry (`hostWorker`).
export {
  type BrowserClient,
  type OpenBrowserClientOptions,
  openBrowserClient,
  type WorkerLike,
} from './open-browser-client.js'
export type { BrowserStorage, Durability, StoragePreference } from './rpc.js'
