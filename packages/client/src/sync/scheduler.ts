import { isTidingsError } from '@tidings/protocol'
import { isTransient, retryAfterOf } from './retry-after.js'
import type { ServerOptions, SyncResult, SyncStatus } from './types.js'

const MAX_BACKOFF_MS = 60_000
/** A write while syncs fail retries no sooner than this (or the server's Retry-After). */
const WRITE_RETRY_MS = 2_000
/**
 * The automatic sync period while no one looks at the app (every tab hidden), at least: the
 * live stream still brings other devices' changes, and local writes still sync at once.
 */
export const HIDDEN_INTERVAL_MS = 60_000

export interface SchedulerOptions {
  run: () => Promise<unknown>
  pending: () => number
  /** Refused bundles awaiting the app (see `RejectedBundles`). */
  rejected: () => number
  /** Values this app version cannot read (see `UnreadableValues`). */
  unreadable?: () => number
  onError: (error: unknown) => void
  /** Every failed sync or verify, awaited or not (the inspector's error log). */
  failed?: (error: unknown) => void
  server?: ServerOptions
}

/**
 * Automatic sync and the status stream: `start()` syncs now, then every `intervalMs`, and
 * `debounceMs` after local writes; while offline or failing it backs off exponentially (up to a
 * minute, or longer when the server asks with `Retry-After`) instead of hammering the server.
 * Every sync, manual or automatic, updates `status`.
 *
 * A write never postpones a sync already due: steady writes (every 30 ms, say) would otherwise
 * push the debounce forward forever. A write while syncs fail brings the retry forward to a few
 * seconds; the network coming back (`online`) retries at once, and its loss (`offline`) shows
 * at once. While offline, retries do not flip the status to `syncing` and back: it stays
 * `offline` (with its reason) until a sync gets through. While the app is hidden
 * (`setVisible(false)`) the periodic sync slows to `HIDDEN_INTERVAL_MS`; shown again, it syncs
 * at once. Syncs that overlap (a manual one during an automatic one) report `idle` only when
 * the last of them ends.
 */
export class Scheduler {
  private current: SyncStatus
  private readonly listeners = new Set<(status: SyncStatus) => void>()
  private timer: ReturnType<typeof setTimeout> | null = null
  /** When the pending timer fires (epoch ms), to never move a due sync later. */
  private dueAt = Number.POSITIVE_INFINITY
  private readonly onOnline = () => this.wake()
  private readonly onOffline = () => {
    if (this.started) this.set({ state: 'offline', error: NO_NETWORK })
  }
  private started = false
  private disposed = false
  private visible = true
  /** Syncs (and verifies) running now: the status turns idle only when the last one ends. */
  private running = 0
  private failures = 0
  /** What the last failure's server asked to wait (`Retry-After`), ms. */
  private retryAfterMs = 0
  private readonly intervalMs: number
  private readonly debounceMs: number

  constructor(private readonly options: SchedulerOptions) {
    this.intervalMs = options.server?.intervalMs ?? 10_000
    this.debounceMs = options.server?.debounceMs ?? 50
    this.current = {
      state: 'idle',
      pending: options.pending(),
      rejected: options.rejected(),
      lastSyncedAt: null,
    }
    const unreadable = options.unreadable?.() ?? 0
    if (unreadable > 0) this.current.unreadable = unreadable
  }

  get status(): SyncStatus {
    return this.current
  }

  subscribe(listener: (status: SyncStatus) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Runs one sync (or verify) and reflects it in the status; rethrows its error. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    if (this.current.state !== 'offline') this.set({ state: 'syncing' })
    this.running += 1
    try {
      const result = await work()
      this.running -= 1
      this.failures = 0
      const recovered = (result as Partial<SyncResult> | undefined)?.recovered
      this.set({
        state: this.running > 0 ? 'syncing' : 'idle',
        lastSyncedAt: Date.now(),
        error: undefined,
        signIn: undefined,
        ...(recovered && { recovery: recovered }),
      })
      return result
    } catch (error) {
      this.running -= 1
      this.options.failed?.(error)
      this.failures += 1
      this.retryAfterMs = retryAfterOf(error)
      const offline = isTidingsError(error, 'unavailable')
      const info = isTidingsError(error)
        ? { code: error.code, message: error.message }
        : { code: 'internal' as const, message: String(error) }
      // The transport already tried a fresh token: a 401 reaching here needs the user.
      const signIn = isTidingsError(error, 'unauthorized') ? (true as const) : undefined
      // Another sync still running decides the state when it ends.
      if (this.running === 0 || offline || signIn)
        this.set({ state: offline ? 'offline' : 'error', error: info, signIn })
      throw error
    }
  }

  start(): void {
    if (this.started) return
    this.started = true
    listen('online', this.onOnline, true)
    listen('offline', this.onOffline, true)
    if (networkDown()) this.onOffline()
    this.schedule(0)
  }

  stop(): void {
    this.started = false
    listen('online', this.onOnline, false)
    listen('offline', this.onOffline, false)
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.dueAt = Number.POSITIVE_INFINITY
  }

  /** The network is back (or the app is looked at again): sync now, whatever the backoff. */
  wake(): void {
    if (!this.started) return
    this.failures = 0
    this.retryAfterMs = 0
    this.schedule(0)
  }

  /**
   * Whether anyone looks at the app (in a browser: some tab of it is visible). Hidden, the
   * periodic sync slows down; shown again, it syncs at once.
   */
  setVisible(visible: boolean): void {
    if (visible === this.visible) return
    this.visible = visible
    if (visible) this.wake()
  }

  /** Stops for good: a sync still finishing after `close()` must not read the closed store. */
  dispose(): void {
    this.stop()
    this.disposed = true
    this.listeners.clear()
  }

  /** A local commit happened: sync soon (coalescing bursts) when automatic sync is on. */
  localWrite(): void {
    this.publish()
    if (!this.started) return
    const delay =
      this.failures === 0 ? this.debounceMs : Math.max(this.retryAfterMs, WRITE_RETRY_MS)
    this.schedule(delay, { sooner: true })
  }

  /** Re-reads the pending count and tells listeners if anything changed. */
  publish(): void {
    this.set({})
  }

  /** With `sooner`, a timer already due earlier is kept as it is. */
  private schedule(delayMs: number, options: { sooner?: boolean } = {}): void {
    const dueAt = Date.now() + delayMs
    if (options.sooner && this.timer && this.dueAt <= dueAt) return
    if (this.timer) clearTimeout(this.timer)
    this.dueAt = dueAt
    this.timer = setTimeout(() => void this.tick(), delayMs)
  }

  private async tick(): Promise<void> {
    this.timer = null
    this.dueAt = Number.POSITIVE_INFINITY
    if (!this.started) return
    if (networkDown()) {
      // No request can get through: wait for `online` (or the next backoff) without one.
      this.failures += 1
      this.set({ state: 'offline', error: NO_NETWORK })
    } else {
      try {
        await this.track(this.options.run)
      } catch (error) {
        if (!isTransient(error)) this.options.onError(error)
      }
    }
    if (!this.started) return
    const backoff = Math.min(MAX_BACKOFF_MS, this.intervalMs * 2 ** Math.max(0, this.failures - 1))
    const interval = this.visible ? this.intervalMs : Math.max(this.intervalMs, HIDDEN_INTERVAL_MS)
    // `sooner`: a write made while this sync ran has already asked for the next one.
    this.schedule(
      this.failures === 0
        ? interval
        : Math.max(this.retryAfterMs, (Math.random() * backoff) / 2 + backoff / 2),
      { sooner: true },
    )
  }

  private set(patch: { [K in keyof SyncStatus]?: SyncStatus[K] | undefined }): void {
    if (this.disposed) return
    const next: SyncStatus = {
      ...this.current,
      pending: this.options.pending(),
      rejected: this.options.rejected(),
    }
    const unreadable = this.options.unreadable?.() ?? 0
    if (unreadable > 0) next.unreadable = unreadable
    else delete next.unreadable
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) delete (next as unknown as Record<string, unknown>)[key]
      else (next as unknown as Record<string, unknown>)[key] = value
    }
    const prev = this.current
    if (
      prev.state === next.state &&
      prev.pending === next.pending &&
      prev.rejected === next.rejected &&
      prev.unreadable === next.unreadable &&
      prev.lastSyncedAt === next.lastSyncedAt &&
      prev.error === next.error &&
      prev.recovery === next.recovery &&
      prev.signIn === next.signIn
    )
      return
    this.current = next
    for (const listener of this.listeners) listener(next)
  }
}

const NO_NETWORK = {
  code: 'unavailable' as const,
  message: 'this device has no network connection',
}

/** Whether the runtime says there is no network at all (browsers and their workers). */
const networkDown = (): boolean =>
  (globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine === false

/** Listens to the runtime's `online`/`offline` events where there are some (browsers, workers). */
const listen = (type: 'online' | 'offline', listener: () => void, on: boolean): void => {
  const target = globalThis as {
    addEventListener?: (type: string, listener: () => void) => void
    removeEventListener?: (type: string, listener: () => void) => void
  }
  if (on) target.addEventListener?.(type, listener)
  else target.removeEventListener?.(type, listener)
}
