/**
 * What a `LocalClient` is made of, wired together once: reads and live queries, sync
 * (src/sync/), undo (src/undo/), history (src/history/), spaces (src/spaces/) and the
 * inspector (src/inspect/), with the two paths every change takes: the one local commit, and
 * the notice of what changed to live queries, undo, space listeners and the status.
 */
import { DEFAULT_LIMITS, type Limits, TidingsError } from '@tidings/protocol'
import { accountGuard } from '../accounts/guard.js'
import { wipeDatabase } from '../accounts/wipe.js'
import { ClientHistory } from '../history/client-history.js'
import { clientInspector } from '../inspect/client-inspector.js'
import { ErrorLog } from '../inspect/error-log.js'
import type { Inspector } from '../inspect/types.js'
import { createLiveSync } from '../live/create-live-sync.js'
import type { Shapes } from '../schema/types.js'
import { SpaceListeners } from '../spaces/space-listeners.js'
import { SpaceRoutes } from '../spaces/space-routes.js'
import type { Changes, Store } from '../store/store.js'
import { ClientSync } from '../sync/client-sync.js'
import type { SyncResult, VerifyResult } from '../sync/types.js'
import { DEFAULT_UNDO_LIMIT } from '../undo/types.js'
import { type Commit, UndoManager } from '../undo/undo-manager.js'
import type { OpenClientOptions } from './client.js'
import { bundleLimitsOf, touchedBy } from './commit.js'
import { LocalReads } from './local-reads.js'
import { Observers, type Touched } from './observe.js'

/** The parts of one client and the paths between them; `LocalClient` is its public surface. */
export class ClientCore {
  readonly limits: Limits
  /** The last errors, for the inspector. */
  readonly errors: ErrorLog
  readonly observers: Observers
  readonly reads: LocalReads
  /** Issue 16: the undo and redo stacks of local transactions (src/undo/). */
  readonly undoing: UndoManager
  readonly syncing: ClientSync
  readonly spaceRoutes: SpaceRoutes
  readonly spaceListeners: SpaceListeners
  readonly past: ClientHistory
  private inspecting: Inspector | null = null
  private shut = false

  /** One local transaction through the one commit path (writes, undo, redo). */
  readonly commit: Commit = (ops, space, alsoInTx) => {
    // A transaction too big for one bundle is cut into parts that travel and apply as one.
    const limits = bundleLimitsOf(this.limits)
    const { changes } = this.store.commitLocal(ops, limits, space, alsoInTx)
    this.changed(changes, touchedBy(ops))
    this.syncing.localWrite()
  }

  constructor(
    readonly store: Store,
    private readonly options: OpenClientOptions<Shapes>,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits }
    this.errors = new ErrorLog(options.now)
    const report = options.onError ?? ((error: unknown) => console.error('tidings:', error))
    const onError = (error: unknown) => {
      this.errors.record('background', error)
      report(error)
    }
    const open = () => this.open()
    const changed = (changes: Changes) => this.changed(changes)
    const server = options.server
    this.observers = new Observers(onError)
    this.reads = new LocalReads(store, open)
    this.undoing = new UndoManager(
      store,
      options.undoLimit ?? DEFAULT_UNDO_LIMIT,
      this.commit,
      onError,
    )
    this.syncing = new ClientSync({
      store,
      server,
      limits: this.limits,
      ...(options.now ? { now: options.now } : {}),
      changed,
      learnSpaces: async () => {
        await this.spaceRoutes.list()
      },
      guard: accountGuard(store, () => this.closed),
      // Issue 7: syncs on server pokes while `startSync` runs (src/live/).
      live: createLiveSync({
        server,
        sync: () => this.sync(),
        idle: () => this.syncing.idle(),
        cursor: () => store.getState('cursor') ?? null,
        onError,
      }),
      onError,
      failed: (error) => this.errors.record('sync', error),
    })
    this.spaceListeners = new SpaceListeners(() => this.spaceRoutes.cached(), onError)
    this.spaceRoutes = new SpaceRoutes(
      store,
      () => this.syncing.transport(),
      this.syncing.refused,
      changed,
    )
    const idle = () => this.syncing.idle()
    this.past = new ClientHistory({ store, local: (query) => this.reads.local(query), open, idle })
  }

  get closed(): boolean {
    return this.shut
  }

  /** Throws once the client is closed. */
  open(): void {
    if (this.shut) throw new TidingsError('bad_request', 'the client is closed')
  }

  sync(): Promise<SyncResult> {
    this.open()
    return this.syncing.sync()
  }

  verify(): Promise<VerifyResult> {
    this.open()
    return this.syncing.verify()
  }

  changed(changes: Changes, touched?: ReadonlyMap<string, Touched>): void {
    this.observers.notify(changes.types, touched)
    // A lost space or a wiped device drops undo entries too.
    if (!this.shut) this.undoing.refresh()
    this.spaceListeners.check()
    this.syncing.publish()
  }

  /** A developer's view into this client (see `Inspector`); no token ever appears in it. */
  inspector(): Inspector {
    const syncing = this.syncing
    this.inspecting ??= clientInspector({
      store: this.store,
      refused: syncing.refused,
      status: () => syncing.status,
      liveQueries: () => this.observers.timings(),
      errors: this.errors,
      server: this.options.server,
      open: () => this.open(),
      sync: syncing.connected ? () => this.sync() : null,
      verify: () => this.verify(),
      busy: () => syncing.busy,
      idle: () => syncing.idle(),
      wiped: () =>
        this.changed({ types: new Set(Object.keys(this.store.schema.types)), applied: 0 }),
      learnSpaces: () => this.spaceRoutes.list(),
    })
    return this.inspecting
  }

  async shutDown(wipe: boolean): Promise<void> {
    if (this.shut) return
    this.shut = true
    this.syncing.dispose()
    await this.syncing.idle()
    this.observers.clear()
    this.spaceListeners.clear()
    try {
      if (wipe) wipeDatabase(this.store.sql)
    } finally {
      this.store.close()
    }
  }
}
