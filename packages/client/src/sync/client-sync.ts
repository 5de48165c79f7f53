/**
 * Syncing with a server as the client drives it: the engine that pushes and pulls, the scheduler
 * behind automatic sync, visibility and the status stream, the live stream of server pokes, and
 * the bundles the server refused. Without a server there is no engine, and syncing throws.
 */
import { type Limits, TidingsError } from '@tidings/protocol'
import type { Changes, Store } from '../store/store.js'
import { SyncEngine } from './engine.js'
import { type RejectedBundle, RejectedBundles } from './rejected.js'
import { Scheduler } from './scheduler.js'
import { Transport } from './transport.js'
import type { ServerOptions, SyncResult, SyncStatus, VerifyResult } from './types.js'

/** What syncing needs of the live stream (src/live/), declared here so sync does not import it. */
export interface LiveLink {
  start(): void
  stop(): void
  /** A sync got through: a stream refused with 401 may retry. */
  resume(): void
}

export interface ClientSyncOptions {
  store: Store
  server: ServerOptions | undefined
  limits: Limits
  now?: () => number
  /** Tells observers, undo and the space listeners what a sync changed. */
  changed: (changes: Changes) => void
  /** Asks the server which spaces this user is in (see `SyncEngine`). */
  learnSpaces: () => Promise<void>
  /** Runs work that talks to the server as this database's client (see accounts/guard.ts). */
  guard: <T>(work: () => Promise<T>) => Promise<T>
  /** Issue 7: syncs on server pokes while `start` runs; null without a live stream. */
  live: LiveLink | null
  onError: (error: unknown) => void
  /** Every failed sync or verify (the inspector's error log). */
  failed: (error: unknown) => void
}

/** The client's sync: one engine, one scheduler, one live stream and the refused bundles. */
export class ClientSync {
  /** Local bundles the server refused for good. */
  readonly refused: RejectedBundles
  private readonly transporting: Transport | null
  private readonly engine: SyncEngine | null
  private readonly scheduler: Scheduler
  private readonly live: LiveLink | null
  private readonly guard: <T>(work: () => Promise<T>) => Promise<T>

  constructor(options: ClientSyncOptions) {
    const { store, server } = options
    this.refused = new RejectedBundles(store, options.now)
    this.transporting = server ? new Transport(server, options.limits, options.now) : null
    this.engine = this.transporting
      ? new SyncEngine(
          store,
          this.transporting,
          options.limits,
          options.changed,
          this.refused,
          options.learnSpaces,
        )
      : null
    this.scheduler = new Scheduler({
      run: () => this.once(),
      pending: () => store.pending(),
      rejected: () => this.refused.count(),
      unreadable: () => store.unreadableCount(),
      onError: options.onError,
      failed: options.failed,
      ...(server ? { server } : {}),
    })
    this.live = options.live
    this.guard = options.guard
  }

  /** Whether a server is configured at all. */
  get connected(): boolean {
    return this.engine !== null
  }

  get status(): SyncStatus {
    return this.scheduler.status
  }

  /** Whether a sync is in flight. */
  get busy(): boolean {
    return this.engine?.busy ?? false
  }

  /** The transport to the server, for the space routes; throws without a server. */
  transport(): Transport {
    if (!this.transporting) throw noServer()
    return this.transporting
  }

  subscribe(listener: (status: SyncStatus) => void): () => void {
    return this.scheduler.subscribe(listener)
  }

  sync(): Promise<SyncResult> {
    return this.scheduler.track(() => this.once())
  }

  verify(): Promise<VerifyResult> {
    return this.scheduler.track(() => this.guard(() => this.requireEngine().verify()))
  }

  /** Resolves once no sync is in flight (a sync may hold bundles between push and ack). */
  async idle(): Promise<void> {
    await this.engine?.idle()
  }

  start(): void {
    this.requireEngine()
    this.scheduler.start()
    this.live?.start()
  }

  stop(): void {
    this.scheduler.stop()
    this.live?.stop()
  }

  setVisible(visible: boolean): void {
    this.scheduler.setVisible(visible)
  }

  /** A local write: sync soon. */
  localWrite(): void {
    this.scheduler.localWrite()
  }

  /** Something the status counts changed: publish it. */
  publish(): void {
    this.scheduler.publish()
  }

  rejected(): RejectedBundle[] {
    return this.refused.list()
  }

  discardRejected(id: string): void {
    this.refused.discardOrThrow(id)
    this.scheduler.publish()
  }

  retryRejected(id: string): void {
    this.refused.retryOrThrow(id)
    this.scheduler.localWrite()
  }

  /** Stops every timer and the live stream for good (the client is closing). */
  dispose(): void {
    this.scheduler.dispose()
    this.live?.stop()
  }

  /** One sync; one that got through proves the credentials, so a stream refused with 401 retries. */
  private async once(): Promise<SyncResult> {
    const result = await this.guard(() => this.requireEngine().sync())
    this.live?.resume()
    return result
  }

  private requireEngine(): SyncEngine {
    if (!this.engine) throw noServer()
    return this.engine
  }
}

const noServer = () =>
  new TidingsError(
    'bad_request',
    'no server configured: pass `server: { url, token }` to openClient',
  )
