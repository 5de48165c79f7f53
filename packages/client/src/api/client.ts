import {
  type Bundle,
  DEFAULT_LIMITS,
  type Event,
  type Invite,
  type Limits,
  type Member,
  type Role,
  type Space,
  TidingsError,
} from '@tidings/protocol'
import { accountRefusal, bindAccount, markSynced } from '../accounts/binding.js'
import { UnsentChangesError } from '../accounts/errors.js'
import { wipeDatabase } from '../accounts/wipe.js'
import type { SqliteDatabase } from '../driver/sqlite.js'
import { AsOfReader } from '../history/as-of.js'
import { ValueReader } from '../history/decode-value.js'
import { indexHistory } from '../history/entity-index.js'
import { readEntityHistory } from '../history/read-history.js'
import { truncateLog } from '../history/truncate.js'
import type {
  HistoryOptions,
  HistoryResult,
  TruncateOptions,
  TruncateResult,
} from '../history/types.js'
import { ErrorLog } from '../inspect/error-log.js'
import { LocalInspector } from '../inspect/inspector.js'
import { resetDevice } from '../inspect/reset-device.js'
import type { Inspector } from '../inspect/types.js'
import { createLiveSync } from '../live/create-live-sync.js'
import type { LiveSync } from '../live/live-sync.js'
import type { Schema } from '../schema/define.js'
import type { Shapes } from '../schema/types.js'
import { SpaceListeners } from '../spaces/space-listeners.js'
import { type InviteOptions, SpaceRoutes } from '../spaces/space-routes.js'
import { roleIn } from '../store/known-spaces.js'
import type { BundleLimits } from '../store/parts.js'
import { type Changes, type Op, Store, type StoreHooks } from '../store/store.js'
import type { UnreadableValue } from '../store/unreadable.js'
import { ENVELOPE_BYTES, SyncEngine } from '../sync/engine.js'
import { type RejectedBundle, RejectedBundles } from '../sync/rejected.js'
import { Scheduler } from '../sync/scheduler.js'
import { tokenSourceOf } from '../sync/token-source.js'
import { Transport } from '../sync/transport.js'
import type { ServerOptions, SyncResult, SyncStatus, VerifyResult } from '../sync/types.js'
import { DEFAULT_UNDO_LIMIT, type UndoResult, type UndoState } from '../undo/types.js'
import { checkUndoLimit, UndoManager } from '../undo/undo-manager.js'
import { rowToObject } from './objects.js'
import { equalityFilter, Observers, type Touched } from './observe.js'
import { compileFetch, type RawQuery } from './query.js'
import { decodeRows } from './row-decoder.js'
import { type CreateOptions, Transaction } from './transaction.js'
import type { Client, SignOutOptions } from './types.js'

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

type Obj = Record<string, unknown>

/** The implementation behind `Client<S>`; types are enforced by that interface. */
export class LocalClient {
  readonly limits: Limits
  private readonly observers: Observers
  private readonly engine: SyncEngine | null
  private readonly refused: RejectedBundles
  private readonly scheduler: Scheduler
  /** Issue 7: syncs on server pokes while `startSync` runs (src/live/). */
  private readonly live: LiveSync | null
  private readonly spaceRoutes: SpaceRoutes
  private readonly spaceListeners: SpaceListeners
  /** The last errors, for the inspector. */
  private readonly errors: ErrorLog
  private inspecting: LocalInspector | null = null
  private values: ValueReader | null = null
  private readonly server: ServerOptions | undefined
  /** Issue 16: the undo and redo stacks of local transactions (src/undo/). */
  private readonly undoing: UndoManager
  private closed = false

  constructor(
    /** @internal The store, for tests and tools (state dumps, query plans). */
    readonly store: Store,
    options: OpenClientOptions<Shapes>,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits }
    this.errors = new ErrorLog(options.now)
    const report = options.onError ?? ((error: unknown) => console.error('tidings:', error))
    const onError = (error: unknown) => {
      this.errors.record('background', error)
      report(error)
    }
    this.observers = new Observers(onError)
    this.undoing = new UndoManager(
      store,
      options.undoLimit ?? DEFAULT_UNDO_LIMIT,
      (ops, space, alsoInTx) => this.commit(ops, space, alsoInTx),
      onError,
    )
    const server = options.server
    this.server = server
    this.refused = new RejectedBundles(store, options.now)
    const transport = server ? new Transport(server, this.limits, options.now) : null
    this.spaceListeners = new SpaceListeners(() => this.spaceRoutes.cached(), onError)
    this.spaceRoutes = new SpaceRoutes(
      store,
      () => {
        if (!transport) throw noServer()
        return transport
      },
      this.refused,
      (changes) => this.changed(changes),
    )
    this.engine = transport
      ? new SyncEngine(
          store,
          transport,
          this.limits,
          (changes) => this.changed(changes),
          this.refused,
          async () => {
            await this.spaceRoutes.list()
          },
        )
      : null
    this.scheduler = new Scheduler({
      run: () => this.syncOnce(),
      pending: () => store.pending(),
      rejected: () => this.refused.count(),
      unreadable: () => store.unreadableCount(),
      onError,
      failed: (error) => this.errors.record('sync', error),
      ...(server ? { server } : {}),
    })
    this.live = createLiveSync({
      server,
      sync: () => this.sync(),
      idle: async () => this.engine?.idle(),
      cursor: () => store.getState('cursor') ?? null,
      onError,
    })
  }

  /** How big one pushed bundle may be (see `Store.commitLocal`). */
  private get bundleLimits(): BundleLimits {
    return {
      maxEvents: this.limits.maxEventsPerBundle,
      maxBytes: this.limits.maxBodyBytes - ENVELOPE_BYTES,
      maxValueBytes: this.limits.maxValueBytes,
    }
  }

  get clientId(): string {
    return this.store.clientId
  }

  get schema(): Schema {
    return this.store.schema
  }

  get status(): SyncStatus {
    return this.scheduler.status
  }

  onStatus(listener: (status: SyncStatus) => void): () => void {
    return this.scheduler.subscribe(listener)
  }

  create(type: string, fields: unknown, options?: CreateOptions): Promise<Obj> {
    return this.transaction((tx) => tx.create(type, fields, options))
  }

  async get(type: string, id: string): Promise<Obj | null> {
    return this.read(type, id)
  }

  update(type: string, id: string, patch: unknown): Promise<Obj> {
    return this.transaction((tx) => tx.update(type, id, patch))
  }

  delete(type: string, id: string): Promise<void> {
    return this.transaction((tx) => tx.delete(type, id))
  }

  async fetch(type: string, query?: RawQuery): Promise<Obj[]> {
    return this.query(type, query)
  }

  related(type: string, attribute: string, id: string, query: RawQuery = {}): Promise<Obj[]> {
    return this.fetch(type, { ...query, where: { [attribute]: id } })
  }

  observe(type: string, query: RawQuery, callback: (rows: Obj[]) => void): () => void {
    this.open()
    const shape = this.schema.shape(type)
    const compiled = compileFetch(this.store.kysely, type, shape, this.local(query))
    return this.observers.add(
      type,
      () => this.store.sql.all(compiled.sql, compiled.parameters),
      (rows) => rows.map((row) => rowToObject(shape, row)),
      callback as (rows: unknown[]) => void,
      query,
      equalityFilter((query ?? {}) as RawQuery) ?? undefined,
    )
  }

  /**
   * Resolves once every live query has seen every change committed so far (observers run on a
   * later task than the commit, coalescing bursts; see `Observers`).
   */
  settled(): Promise<void> {
    return this.observers.settled()
  }

  async transaction<R>(fn: (tx: Transaction) => Promise<R>): Promise<R> {
    this.open()
    const tx = new Transaction(
      this.schema,
      {
        get: (type, id) => this.read(type, id),
        exists: (type, id) => this.store.row(type, id) !== undefined,
        fetch: (type, query) => this.query(type, query as RawQuery | undefined),
        roleOf: (space) => roleIn(this.store.sql, space),
        localSpace: (space) => this.localSpace(space),
      },
      this.limits.maxValueBytes,
    )
    let result: R
    try {
      result = await fn(tx)
    } finally {
      tx.close()
    }
    if (tx.ops.length === 0) return result
    this.open()
    const space = tx.space ?? null
    const captured = this.undoing.capture(tx.ops, tx.created)
    this.commit(tx.ops, space, (events) => this.undoing.record(captured, events, space))
    return result
  }

  /** One local transaction through the one commit path (writes, undo, redo). */
  private commit(
    ops: readonly Op[],
    space: string | null,
    alsoInTx: (events: readonly Event[]) => void,
  ): void {
    // A transaction too big for one bundle is cut into parts that travel and apply as one.
    const { changes } = this.store.commitLocal(ops, this.bundleLimits, space, alsoInTx)
    this.changed(changes, touchedBy(ops))
    this.scheduler.localWrite()
  }

  /**
   * Undoes this device's last local transaction not undone yet (see `UndoManager`): resolves
   * with `done: false` when there is none, else with the attributes restored and those left
   * alone as stale. Throws `forbidden` when this user can no longer write the entry's space.
   */
  async undo(): Promise<UndoResult> {
    this.open()
    return this.undoing.undo()
  }

  /** Redoes the last undone transaction, with the same stale rule as `undo`. */
  async redo(): Promise<UndoResult> {
    this.open()
    return this.undoing.redo()
  }

  undoState(): UndoState {
    this.open()
    return this.undoing.state()
  }

  onUndoState(listener: (state: UndoState) => void): () => void {
    this.open()
    return this.undoing.subscribe(listener)
  }

  sync(): Promise<SyncResult> {
    this.open()
    return this.scheduler.track(() => this.syncOnce())
  }

  /** One sync; one that got through proves the credentials, so a stream refused with 401 retries. */
  private async syncOnce(): Promise<SyncResult> {
    const result = await this.guarded(() => this.requireEngine().sync())
    this.live?.resume()
    return result
  }

  verify(): Promise<VerifyResult> {
    this.open()
    return this.scheduler.track(() => this.guarded(() => this.requireEngine().verify()))
  }

  /**
   * Runs work that talks to the server as this database's client: a first answer means the
   * server now guards whose client this is, and its refusal of the client id as another user's
   * becomes `AccountMismatchError` (see accounts/binding.ts).
   */
  private async guarded<T>(work: () => Promise<T>): Promise<T> {
    let result: T
    try {
      result = await work()
    } catch (error) {
      throw this.closed ? error : accountRefusal(this.store, error)
    }
    if (!this.closed) markSynced(this.store)
    return result
  }

  /**
   * @internal Applies bundles obtained out of band (tests, peer-to-peer experiments) through
   * the same path as a pull, notifying observers. Returns how many were new.
   */
  receive(bundles: readonly Bundle[]): number {
    this.open()
    const changes = this.store.applyRemote(bundles)
    this.changed(changes)
    return changes.applied
  }

  /** Local bundles the server refused for good; their changes stay on this device only. */
  async rejected(): Promise<RejectedBundle[]> {
    this.open()
    return this.refused.list()
  }

  async discardRejected(id: string): Promise<void> {
    this.open()
    this.refused.discardOrThrow(id)
    this.scheduler.publish()
  }

  async retryRejected(id: string): Promise<void> {
    this.open()
    this.refused.retryOrThrow(id)
    this.scheduler.localWrite()
  }

  // Shared spaces (DESIGN §8); see spaces/space-routes.ts.

  spaces(): Promise<Space[]> {
    this.open()
    return this.spaceRoutes.list()
  }

  cachedSpaces(): Space[] {
    this.open()
    return this.spaceRoutes.cached()
  }

  observeSpaces(callback: (spaces: Space[]) => void): () => void {
    this.open()
    return this.spaceListeners.add(callback)
  }

  createSpace(name: string): Promise<Space> {
    this.open()
    return this.spaceRoutes.create(name)
  }

  invite(space: string, role: Role, options?: InviteOptions): Promise<string> {
    this.open()
    return this.spaceRoutes.invite(space, role, options)
  }

  invites(space: string): Promise<Invite[]> {
    this.open()
    return this.spaceRoutes.invites(space)
  }

  revokeInvite(space: string, invite: string): Promise<void> {
    this.open()
    return this.spaceRoutes.revokeInvite(space, invite)
  }

  async acceptInvite(code: string): Promise<Space> {
    this.open()
    const space = await this.spaceRoutes.accept(code)
    // The space's history comes with the next sync.
    this.scheduler.localWrite()
    return space
  }

  members(space: string): Promise<Member[]> {
    this.open()
    return this.spaceRoutes.members(space)
  }

  setRole(space: string, user: string, role: Role): Promise<Member> {
    this.open()
    return this.spaceRoutes.setRole(space, user, role)
  }

  removeMember(space: string, user: string): Promise<void> {
    this.open()
    return this.spaceRoutes.removeMember(space, user)
  }

  async leaveSpace(space: string): Promise<void> {
    this.open()
    // What this device wrote into the space goes first, if it can; what cannot is reported.
    if (this.engine) await this.sync()
    await this.spaceRoutes.leave(space)
  }

  async unreadable(): Promise<UnreadableValue[]> {
    this.open()
    return this.store.unreadable()
  }

  /** An entity's events in HLC order (see `src/history/`). */
  async history(type: string, id: string, options?: HistoryOptions): Promise<HistoryResult> {
    this.open()
    this.values ??= new ValueReader(this.schema)
    return readEntityHistory(this.store, this.values, type, id, options)
  }

  /** A read-only view of the state at `at` (an HLC, a Date or epoch ms). */
  asOf(at: string | Date | number): AsOfReader {
    this.open()
    this.values ??= new ValueReader(this.schema)
    return new AsOfReader(
      this.store,
      this.values,
      at,
      (query) => this.local(query),
      () => this.open(),
    )
  }

  /** Drops acknowledged, superseded events (see `history/truncate.ts`). */
  async truncateLog(options: TruncateOptions): Promise<TruncateResult> {
    this.open()
    // A sync in flight may hold bundles between push and acknowledgement: let it finish.
    await this.engine?.idle()
    return truncateLog(this.store, options)
  }

  /** A developer's view into this client (see `Inspector`); no token ever appears in it. */
  inspector(): Inspector {
    this.open()
    this.inspecting ??= new LocalInspector({
      store: this.store,
      refused: this.refused,
      status: () => this.status,
      liveQueries: () => this.observers.timings(),
      errors: this.errors,
      reset: (options) => this.resetDevice(options),
      secrets: () => secretsOf(this.server),
    })
    return this.inspecting
  }

  private async resetDevice(options: { discardUnsent?: boolean }) {
    this.open()
    const engine = this.engine
    const result = await resetDevice(
      {
        store: this.store,
        refused: this.refused,
        sync: engine ? () => this.sync() : null,
        verify: () => this.verify(),
        busy: () => engine?.busy ?? false,
        idle: async () => engine?.idle(),
        wiped: () => this.changed({ types: new Set(Object.keys(this.schema.types)), applied: 0 }),
      },
      options,
    )
    // The wipe forgot the private space's id: learn it again (the next sync will, if offline).
    await this.spaceRoutes.list().catch(() => undefined)
    return result
  }

  async rebuild(): Promise<void> {
    this.open()
    const types = this.store.rebuild()
    this.observers.notify(types)
    this.scheduler.publish()
  }

  startSync(): void {
    this.open()
    this.requireEngine()
    this.scheduler.start()
    this.live?.start()
  }

  stopSync(): void {
    this.scheduler.stop()
    this.live?.stop()
  }

  setVisible(visible: boolean): void {
    this.scheduler.setVisible(visible)
  }

  /**
   * Signs this user out on this device (see "Accounts on a device" in the README): closes the
   * client; its data stays for when the user returns, or with `wipe` is erased, refused with
   * `UnsentChangesError` (nothing done, still open) while changes were never delivered, unless
   * `discardUnsent`.
   */
  async signOut(options: SignOutOptions = {}): Promise<void> {
    this.open()
    if (options.wipe) {
      // A sync in flight may be delivering the very changes counted next.
      await this.engine?.idle()
      const unsent = { pending: this.store.pending(), rejected: this.refused.count() }
      if (unsent.pending + unsent.rejected > 0 && !options.discardUnsent)
        throw new UnsentChangesError(unsent)
    }
    await this.shutDown(options.wipe === true)
  }

  close(): Promise<void> {
    return this.shutDown(false)
  }

  private async shutDown(wipe: boolean): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.scheduler.dispose()
    this.live?.stop()
    await this.engine?.idle()
    this.observers.clear()
    this.spaceListeners.clear()
    try {
      if (wipe) wipeDatabase(this.store.sql)
    } finally {
      this.store.close()
    }
  }

  private read(type: string, id: string): Obj | null {
    this.open()
    const shape = this.schema.shape(type)
    const row = this.store.row(type, id)
    return row && Number(row.deleted) === 0 ? rowToObject(shape, row) : null
  }

  /** The private space is null locally, whether named by null or by its id (the user's id). */
  private localSpace(space: string | null): string | null {
    return space !== null && space === this.store.privateSpace ? null : space
  }

  /** A query whose `space` names the private space by its id asks for null. */
  private local(query: RawQuery | undefined): RawQuery | undefined {
    if (typeof query?.space !== 'string' || query.space !== this.store.privateSpace) return query
    return { ...query, space: null }
  }

  private query(type: string, query?: RawQuery): Obj[] {
    this.open()
    const shape = this.schema.shape(type)
    const compiled = compileFetch(this.store.kysely, type, shape, this.local(query))
    return decodeRows(shape, this.store.sql.rows(compiled.sql, compiled.parameters))
  }

  private changed(changes: Changes, touched?: ReadonlyMap<string, Touched>): void {
    this.observers.notify(changes.types, touched)
    // A lost space or a wiped device drops undo entries too.
    if (!this.closed) this.undoing.refresh()
    this.spaceListeners.check()
    this.scheduler.publish()
  }

  private requireEngine(): SyncEngine {
    if (!this.engine) throw noServer()
    return this.engine
  }

  private open(): void {
    if (this.closed) throw new TidingsError('bad_request', 'the client is closed')
  }
}

/** A local commit's writes, by type and entity (what lets live queries skip a re-run). */
const touchedBy = (ops: readonly Op[]): Map<string, Map<string, Map<string, unknown>>> => {
  const byType = new Map<string, Map<string, Map<string, unknown>>>()
  for (const op of ops) {
    const entities = byType.get(op.type) ?? new Map<string, Map<string, unknown>>()
    byType.set(op.type, entities)
    const fields = entities.get(op.entity) ?? new Map<string, unknown>()
    entities.set(op.entity, fields)
    fields.set(op.attribute, op.value)
  }
  return byType
}

/** The token in use, which the inspector's output must never contain. */
const secretsOf = (server: ServerOptions | undefined): Array<string | undefined> =>
  server
    ? [typeof server.token === 'string' ? server.token : undefined, tokenSourceOf(server).current]
    : []

const noServer = () =>
  new TidingsError(
    'bad_request',
    'no server configured: pass `server: { url, token }` to openClient',
  )
