/**
 * Opening a client: the local store opened (created or migrated) and bound to its account,
 * then handed to `LocalClient`, which the app sees as `Client<S>`.
 */
import type { Limits } from '@tidings/protocol'
import { bindAccount } from '../accounts/binding.js'
import type { SqliteDatabase } from '../driver/sqlite.js'
import { indexHistory } from '../history/entity-index.js'
import type { Schema } from '../schema/define.js'
import type { Shapes } from '../schema/types.js'
import { Store, type StoreHooks } from '../store/store.js'
import { RejectedBundles } from '../sync/rejected.js'
import type { ServerOptions } from '../sync/types.js'
import { checkUndoLimit } from '../undo/undo-manager.js'
import { LocalClient } from './local-client.js'
import type { Client } from './types.js'

// Tests and tools reach the implementation through this module.
export { LocalClient }

export interface OpenClientOptions<S extends Shapes> {
  schema: Schema<S>
  /** The SQLite database to keep everything in; the client owns it from now on. */
  database: SqliteDatabase
  server?: ServerOptions
  /** Wall clock in epoch ms (tests inject one). */
  now?: () => number
  /**
   * Monotonic clock in ms that no one sets (default `performance.now()` unless `now` is
   * injected): when the wall clock moves against it, the learnt clock offset is dropped.
   */
  monotonic?: () => number
  /** Must match the server's limits; bundles and requests are split to fit them. */
  limits?: Partial<Limits>
  /** Where errors nobody awaits go (an observer callback that threw, a background sync). */
  onError?: (error: unknown) => void
  /** Test seams for crash tests. */
  hooks?: StoreHooks
  /** How many local transactions `undo()` can go back (default 100; 0 turns undo off). */
  undoLimit?: number
  /**
   * Keep an index of the event log by entity, so `history` and `asOf(...).get` look the entity
   * up instead of scanning the log. Off by default: every logged event pays for the index.
   * Turning it off again drops it at the next open.
   */
  historyIndex?: boolean
}

/** Opens (creating or migrating) the local store and returns the typed client. */
export const openClient = async <S extends Shapes>(
  options: OpenClientOptions<S>,
): Promise<Client<S>> => {
  // Checked before the store opens: a refused open leaves the database closed.
  if (options.undoLimit !== undefined) {
    try {
      checkUndoLimit(options.undoLimit)
    } catch (error) {
      options.database.close()
      throw error
    }
  }
  const store = await Store.open({
    database: options.database,
    schema: options.schema,
    ...(options.now ? { now: options.now } : {}),
    ...(options.monotonic ? { monotonic: options.monotonic } : {}),
    ...(options.hooks ? { hooks: options.hooks } : {}),
  })
  indexHistory(store.sql, options.historyIndex === true)
  if (options.server) {
    try {
      bindAccount(store, new RejectedBundles(store, options.now), options.server)
    } catch (error) {
      // The client owns the database from the call on: a refused open closes it.
      store.close()
      throw error
    }
  }
  return new LocalClient(store, options) as unknown as Client<S>
}
