import { type Space, TidingsError } from '@tidings/protocol'
import type { Client, SignOutOptions } from '../api/types.js'
import type { TruncateOptions, TruncateResult } from '../history/types.js'
import type { Inspector } from '../inspect/types.js'
import type { Shapes } from '../schema/types.js'
import type { ServerOptions, SyncStatus } from '../sync/types.js'
import type { UndoState } from '../undo/types.js'
import { AsOfOverRpc } from './as-of-rpc.js'
import { applyDiff } from './row-diff.js'
import {
  type BrowserStorage,
  type CallMethod,
  type Durability,
  fromWireError,
  INSPECT_CALLS,
  type Opened,
  type Reply,
  type Request,
  type StoragePreference,
  TX_CALLS,
} from './rpc.js'
import type { Locks } from './serve-tab.js'
import { type WorkerLike, WorkerLink } from './worker-link.js'

export type { WorkerLike }

/**
 * The page's handle on the client in the worker: the client's API, every read and write async
 * (history included: an `asOf` view's reads are calls to the owner).
 */
export type BrowserClient<S extends Shapes> = Omit<Client<S>, 'schema'> & {
  /** Where the worker keeps the data; `memory` means nothing survives the page (warned). */
  readonly storage: BrowserStorage
  /** What a resolved write means here: saved in `storage`, or memory only. */
  readonly durability: Durability
}

export interface OpenBrowserClientOptions {
  /** The worker running `hostWorker({ schema })`, or better a function that starts one, e.g.
   * `() => new Worker(new URL('./tidings.worker.ts', import.meta.url), { type: 'module' })`:
   * then a tab being frozen that owns the database hands it over to another tab (its worker is
   * ended, and a new one starts when the tab resumes). */
  worker: WorkerLike | (() => WorkerLike)
  /**
   * Database name, one per app and user (`app:${userId}`): users of one device then never share
   * data or a client id, and each one's data waits while another is signed in. Default `tidings`.
   */
  name?: string
  storage?: StoragePreference
  server?: Omit<ServerOptions, 'fetch'>
  /** Where errors nobody awaits go (a failed observe, startSync); default console.error. */
  onError?: (error: unknown) => void
  /** Web Locks, for the liveness check of the worker; default `navigator.locks`. */
  locks?: Locks | null
}

type Pending = { resolve: (value: unknown) => void; reject: (error: unknown) => void }
type Outgoing = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never

/**
 * Opens the client that runs in `worker` and returns a proxy with the same async API: calls
 * travel as messages with request ids, observe rows and status changes stream back, and
 * errors come back as `TidingsError`s with their original `code`.
 */
export async function openBrowserClient<S extends Shapes>(
  options: OpenBrowserClientOptions,
): Promise<BrowserClient<S>> {
  const proxy = new ClientProxy(options)
  await proxy.open()
  return proxy as unknown as BrowserClient<S>
}

class ClientProxy {
  #next = 1
  readonly #pending = new Map<number, Pending>()
  readonly #observers = new Map<number, (rows: unknown[]) => void>()
  /** Each live query's last rows, which its next `diff` changes. */
  readonly #lastRows = new Map<number, unknown[]>()
  readonly #statusListeners = new Set<(status: SyncStatus) => void>()
  readonly #onError: (error: unknown) => void
  #opened: Opened | null = null
  #status: SyncStatus = { state: 'idle', pending: 0, rejected: 0, lastSyncedAt: null }
  #broken: TidingsError | null = null
  /** The worker's list of spaces, streamed from `open` on (what `cachedSpaces` answers). */
  #spaces: Space[] = []
  readonly #spaceListeners = new Set<(spaces: Space[]) => void>()
  #inspector: Inspector | null = null
  /** The owner's undo state, streamed from `open` on (what `undoState` answers). */
  #undo: UndoState = { canUndo: false, canRedo: false, undoCount: 0, redoCount: 0 }
  readonly #undoListeners = new Set<(state: UndoState) => void>()
  /** The owner's greatest history horizon, streamed from `open` on (see `asOf`). */
  #horizon: string | undefined

  readonly #link: WorkerLink

  constructor(private readonly options: OpenBrowserClientOptions) {
    this.#onError = options.onError ?? ((error) => console.error('tidings:', error))
    this.#link = new WorkerLink({
      worker: options.worker,
      locks:
        options.locks === undefined
          ? ((globalThis.navigator as { locks?: Locks } | undefined)?.locks ?? null)
          : options.locks,
      onReply: (reply) => this.#receive(reply),
      onWorkerError: (message) => this.#workerError(`the Tidings worker failed: ${message}`),
      onDeath: () => this.#died(),
      owns: () => this.#status.connection === 'this-tab',
    })
  }

  /**
   * Before it opened, the worker did not load or start; after, it goes on (an uncaught error
   * does not end a worker), and the status says what happened until the next status.
   */
  #workerError(message: string): void {
    if (!this.#opened) {
      this.#fail(new TidingsError('unavailable', message))
      return
    }
    this.#onError(new TidingsError('internal', message))
    this.#publish({ ...this.#status, state: 'error', error: { code: 'internal', message } })
  }

  /**
   * The liveness check: the worker holds its life lock while it lives, so this page is granted
   * it once the worker is gone (crashed, terminated, its tab's process killed), even while the
   * worker is busy. Then every call fails at once with `unavailable`, and the status says so.
   */
  #died(): void {
    if (this.#broken) return
    const error = new TidingsError(
      'unavailable',
      'the Tidings worker stopped; reload the page to open the library again',
    )
    this.#fail(error)
    this.#publish({
      ...this.#status,
      state: 'error',
      error: { code: error.code, message: error.message },
    })
  }

  async open(): Promise<void> {
    const { name = 'tidings', storage = 'auto', server } = this.options
    const opened = (await this.#request({
      kind: 'open',
      options: { name, storage, ...(server ? { server } : {}) },
    })) as Opened
    this.#opened = opened
    this.#status = opened.status as SyncStatus
    this.#horizon = opened.horizon
    this.#link.watch(opened)
    this.#followVisibility()
    // Not awaited: the list arrives just after (an empty list until then), like any observe.
    const id = this.#next++
    this.#observers.set(id, (rows) => {
      this.#spaces = rows as Space[]
      for (const listener of this.#spaceListeners) listener(this.#spaces)
    })
    this.#post({ kind: 'observe-spaces', id })
    const undoId = this.#next++
    this.#observers.set(undoId, ([state]) => {
      this.#undo = state as UndoState
      for (const listener of this.#undoListeners) listener(this.#undo)
    })
    this.#post({ kind: 'observe-undo', id: undoId })
    const horizonId = this.#next++
    this.#observers.set(horizonId, ([horizon]) => {
      this.#horizon = (horizon as string | null) ?? undefined
    })
    this.#post({ kind: 'observe-horizon', id: horizonId })
  }

  get clientId(): string {
    return this.#opened?.clientId ?? ''
  }
  get storage(): BrowserStorage {
    return this.#opened?.storage ?? 'memory'
  }
  get durability(): Durability {
    return this.#opened?.durability ?? { writes: 'memory', synchronous: 'off' }
  }
  get status(): SyncStatus {
    return this.#status
  }

  create = this.#call('create')
  get = this.#call('get')
  update = this.#call('update')
  delete = this.#call('delete')
  fetch = this.#call('fetch')
  related = this.#call('related')
  sync = this.#call('sync')
  verify = this.#call('verify')
  rebuild = this.#call('rebuild')
  rejected = this.#call('rejected')
  discardRejected = this.#call('discardRejected')
  retryRejected = this.#call('retryRejected')
  unreadable = this.#call('unreadable')
  spaces = this.#call('spaces')
  createSpace = this.#call('createSpace')
  invite = this.#call('invite')
  invites = this.#call('invites')
  revokeInvite = this.#call('revokeInvite')
  acceptInvite = this.#call('acceptInvite')
  members = this.#call('members')
  setRole = this.#call('setRole')
  removeMember = this.#call('removeMember')
  leaveSpace = this.#call('leaveSpace')
  undo = this.#call('undo')
  redo = this.#call('redo')
  history = this.#call('history')

  /**
   * A view of the past whose `get`/`fetch` the owning worker answers; `truncatedBefore` as of
   * the horizon the owner last reported (it reports every move before answering anything else).
   */
  asOf(at: string | Date | number): AsOfOverRpc {
    return new AsOfOverRpc(at, this.#horizon, (args) =>
      this.#request({ kind: 'call', method: 'asOf', args }),
    )
  }

  async truncateLog(options: TruncateOptions): Promise<TruncateResult> {
    const result = (await this.#request({
      kind: 'call',
      method: 'truncateLog',
      args: [options],
    })) as TruncateResult
    // The stream has told this page already; kept in step here all the same.
    if (result.horizon !== undefined && (this.#horizon ?? '') < result.horizon)
      this.#horizon = result.horizon
    return result
  }

  /**
   * The undo state as the owning worker last reported it (kept current by a stream opened at
   * `open`; all stacks empty until its first report, just after).
   */
  undoState(): UndoState {
    return this.#undo
  }

  onUndoState(listener: (state: UndoState) => void): () => void {
    this.#undoListeners.add(listener)
    return () => {
      this.#undoListeners.delete(listener)
    }
  }

  /**
   * The inspector of the client in the worker that owns the database (this tab's or another's):
   * each method is one `inspect` call, answered with plain data.
   */
  inspector(): Inspector {
    this.#inspector ??= Object.fromEntries(
      INSPECT_CALLS.map((name) => [
        name,
        (...args: unknown[]) =>
          this.#request({ kind: 'call', method: 'inspect', args: [name, ...args] }),
      ]),
    ) as unknown as Inspector
    return this.#inspector
  }

  /** The spaces as the worker last reported them (kept current by a stream opened at `open`). */
  cachedSpaces(): Space[] {
    return this.#spaces
  }

  observeSpaces(callback: (spaces: Space[]) => void): () => void {
    this.#spaceListeners.add(callback)
    queueMicrotask(() => {
      if (this.#spaceListeners.has(callback)) callback(this.#spaces)
    })
    return () => {
      this.#spaceListeners.delete(callback)
    }
  }

  startSync(): void {
    this.#request({ kind: 'call', method: 'startSync', args: [] }).catch(this.#onError)
  }
  stopSync(): void {
    this.#request({ kind: 'call', method: 'stopSync', args: [] }).catch(this.#onError)
  }
  setVisible(visible: boolean): void {
    this.#request({ kind: 'call', method: 'setVisible', args: [visible] }).catch(this.#onError)
  }

  /**
   * Tells the worker whether this tab is visible, now and on every change: the sync scheduler
   * of the tab that owns the database slows its polling while every tab is hidden, and syncs at
   * once when one is shown (the worker has no `document` to ask).
   */
  #followVisibility(): void {
    const doc = (globalThis as { document?: Document }).document
    if (!doc) return
    const tell = () => this.setVisible(doc.visibilityState !== 'hidden')
    doc.addEventListener('visibilitychange', tell)
    tell()
  }

  onStatus(listener: (status: SyncStatus) => void): () => void {
    this.#statusListeners.add(listener)
    return () => this.#statusListeners.delete(listener)
  }

  observe(type: string, query: unknown, callback: (rows: unknown[]) => void): () => void {
    const id = this.#next++
    this.#observers.set(id, callback)
    this.#lastRows.set(id, [])
    try {
      this.#post({ kind: 'observe', id, type, query })
    } catch (error) {
      this.#observers.delete(id)
      this.#lastRows.delete(id)
      throw error
    }
    return () => {
      this.#lastRows.delete(id)
      if (!this.#observers.delete(id)) return
      this.#post({ kind: 'unobserve', id })
    }
  }

  /** Runs `fn` against a transaction held open in the worker; commits when it resolves. */
  async transaction<R>(fn: (tx: unknown) => Promise<R>): Promise<R> {
    const tx = (await this.#request({ kind: 'begin' })) as number
    const handle = Object.fromEntries(
      TX_CALLS.map((method) => [
        method,
        (...args: unknown[]) => this.#request({ kind: 'tx-call', tx, method, args }),
      ]),
    )
    let result: R
    try {
      result = await fn(handle)
    } catch (error) {
      await this.#request({ kind: 'end', tx, commit: false })
      throw error
    }
    await this.#request({ kind: 'end', tx, commit: true })
    return result
  }

  /**
   * Signs out in the worker that owns the database (see `Client.signOut`): the client closes
   * there, for every tab, and this page's worker ends. An `unsent_changes` refusal leaves
   * everything open. Other tabs' calls then fail until the app opens them again (for the next
   * user, under that user's `name`): tell them, say on a `BroadcastChannel` of the app's own.
   */
  async signOut(options: SignOutOptions = {}): Promise<void> {
    await this.#request({ kind: 'call', method: 'signOut', args: [options] })
    this.#fail(new TidingsError('unavailable', 'signed out: open the client again to sign in'))
    this.#link.terminate()
  }

  async close(): Promise<void> {
    if (this.#broken) return
    await this.#request({ kind: 'close' })
    this.#fail(new TidingsError('unavailable', 'the client is closed'))
    this.#link.terminate()
  }

  #call(method: CallMethod) {
    return (...args: unknown[]) => this.#request({ kind: 'call', method, args })
  }

  #request(message: Outgoing): Promise<unknown> {
    if (this.#broken) return Promise.reject(this.#broken)
    const id = this.#next++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      try {
        this.#post({ ...message, id } as Request)
      } catch (error) {
        this.#pending.delete(id)
        reject(error)
      }
    })
  }

  /** Sends a request; throws `bad_request` when an argument cannot be copied to the worker. */
  #post(request: Request): void {
    if (this.#broken) return
    this.#link.request(request)
  }

  #publish(status: SyncStatus): void {
    this.#status = status
    for (const listener of this.#statusListeners) listener(status)
  }

  #receive(reply: Reply): void {
    switch (reply.kind) {
      case 'result':
      case 'error': {
        const pending = this.#pending.get(reply.id)
        this.#pending.delete(reply.id)
        if (reply.kind === 'result') pending?.resolve(reply.value)
        else if (pending) pending.reject(fromWireError(reply.error))
        // An error without a waiting caller belongs to an observe subscription.
        else if (this.#observers.delete(reply.id)) {
          this.#lastRows.delete(reply.id)
          this.#onError(fromWireError(reply.error))
        }
        return
      }
      case 'rows':
        if (this.#lastRows.has(reply.id)) this.#lastRows.set(reply.id, reply.rows)
        this.#observers.get(reply.id)?.(reply.rows)
        return
      case 'diff': {
        const last = this.#lastRows.get(reply.id)
        if (!last) return // unobserved meanwhile
        const rows = applyDiff(last, reply.diff)
        this.#lastRows.set(reply.id, rows)
        this.#observers.get(reply.id)?.(rows)
        return
      }
      case 'status':
        if (!this.#broken) this.#publish(reply.status as SyncStatus)
        return
    }
  }

  #fail(error: TidingsError): void {
    this.#broken = error
    for (const pending of this.#pending.values()) pending.reject(error)
    this.#pending.clear()
    this.#observers.clear()
    this.#lastRows.clear()
  }
}
