/**
 * The client behind `Client<S>`: the public surface, which checks that the client is open and
 * hands each call to the part that does it (see `ClientCore`).
 */
import type { Bundle, Invite, Limits, Member, Role, Space } from '@tidings/protocol'
import { UnsentChangesError } from '../accounts/errors.js'
import type { AsOfReader } from '../history/as-of.js'
import type {
  HistoryOptions,
  HistoryResult,
  TruncateOptions,
  TruncateResult,
} from '../history/types.js'
import type { Inspector } from '../inspect/types.js'
import type { Schema } from '../schema/define.js'
import type { Shapes } from '../schema/types.js'
import type { InviteOptions } from '../spaces/space-routes.js'
import type { Store } from '../store/store.js'
import type { UnreadableValue } from '../store/unreadable.js'
import type { RejectedBundle } from '../sync/rejected.js'
import type { SyncResult, SyncStatus, VerifyResult } from '../sync/types.js'
import type { UndoResult, UndoState } from '../undo/types.js'
import { commitUndoable } from '../undo/undoable-commit.js'
import type { OpenClientOptions } from './client.js'
import { ClientCore } from './client-core.js'
import type { RawQuery } from './query.js'
import { type CreateOptions, Transaction } from './transaction.js'
import type { SignOutOptions } from './types.js'

type Obj = Record<string, unknown>

/** The implementation behind `Client<S>`; types are enforced by that interface. */
export class LocalClient {
  readonly limits: Limits
  private readonly core: ClientCore

  constructor(
    /** @internal The store, for tests and tools (state dumps, query plans). */
    readonly store: Store,
    options: OpenClientOptions<Shapes>,
  ) {
    this.core = new ClientCore(store, options)
    this.limits = this.core.limits
  }

  /** The parts, once the client is checked to be open. */
  private get opened(): ClientCore {
    this.core.open()
    return this.core
  }

  get clientId(): string {
    return this.store.clientId
  }

  get schema(): Schema {
    return this.store.schema
  }

  get status(): SyncStatus {
    return this.core.syncing.status
  }

  onStatus(listener: (status: SyncStatus) => void): () => void {
    return this.core.syncing.subscribe(listener)
  }

  create(type: string, fields: unknown, options?: CreateOptions): Promise<Obj> {
    return this.transaction((tx) => tx.create(type, fields, options))
  }

  async get(type: string, id: string): Promise<Obj | null> {
    return this.core.reads.read(type, id)
  }

  update(type: string, id: string, patch: unknown): Promise<Obj> {
    return this.transaction((tx) => tx.update(type, id, patch))
  }

  delete(type: string, id: string): Promise<void> {
    return this.transaction((tx) => tx.delete(type, id))
  }

  async fetch(type: string, query?: RawQuery): Promise<Obj[]> {
    return this.core.reads.query(type, query)
  }

  related(type: string, attribute: string, id: string, query: RawQuery = {}): Promise<Obj[]> {
    return this.fetch(type, { ...query, where: { [attribute]: id } })
  }

  observe(type: string, query: RawQuery, callback: (rows: Obj[]) => void): () => void {
    return this.core.reads.observe(this.core.observers, type, query, callback)
  }

  /**
   * Resolves once every live query has seen every change committed so far (observers run on a
   * later task than the commit, coalescing bursts; see `Observers`).
   */
  settled(): Promise<void> {
    return this.core.observers.settled()
  }

  async transaction<R>(fn: (tx: Transaction) => Promise<R>): Promise<R> {
    const core = this.opened
    const tx = new Transaction(this.schema, core.reads.reader(), this.limits.maxValueBytes)
    let result: R
    try {
      result = await fn(tx)
    } finally {
      tx.close()
    }
    if (tx.ops.length === 0) return result
    commitUndoable(this.opened.undoing, core.commit, tx)
    return result
  }

  /**
   * Undoes this device's last local transaction not undone yet (see `UndoManager`): resolves
   * with `done: false` when there is none, else with the attributes restored and those left
   * alone as stale. Throws `forbidden` when this user can no longer write the entry's space.
   */
  async undo(): Promise<UndoResult> {
    return this.opened.undoing.undo()
  }

  /** Redoes the last undone transaction, with the same stale rule as `undo`. */
  async redo(): Promise<UndoResult> {
    return this.opened.undoing.redo()
  }

  undoState(): UndoState {
    return this.opened.undoing.state()
  }

  onUndoState(listener: (state: UndoState) => void): () => void {
    return this.opened.undoing.subscribe(listener)
  }

  sync(): Promise<SyncResult> {
    return this.core.sync()
  }

  verify(): Promise<VerifyResult> {
    return this.core.verify()
  }

  /**
   * @internal Applies bundles obtained out of band (tests, peer-to-peer experiments) through
   * the same path as a pull, notifying observers. Returns how many were new.
   */
  receive(bundles: readonly Bundle[]): number {
    const changes = this.opened.store.applyRemote(bundles)
    this.core.changed(changes)
    return changes.applied
  }

  /** Local bundles the server refused for good; their changes stay on this device only. */
  async rejected(): Promise<RejectedBundle[]> {
    return this.opened.syncing.rejected()
  }

  async discardRejected(id: string): Promise<void> {
    this.opened.syncing.discardRejected(id)
  }

  async retryRejected(id: string): Promise<void> {
    this.opened.syncing.retryRejected(id)
  }

  // Shared spaces (DESIGN §8); see spaces/space-routes.ts.

  spaces(): Promise<Space[]> {
    return this.opened.spaceRoutes.list()
  }

  cachedSpaces(): Space[] {
    return this.opened.spaceRoutes.cached()
  }

  observeSpaces(callback: (spaces: Space[]) => void): () => void {
    return this.opened.spaceListeners.add(callback)
  }

  createSpace(name: string): Promise<Space> {
    return this.opened.spaceRoutes.create(name)
  }

  invite(space: string, role: Role, options?: InviteOptions): Promise<string> {
    return this.opened.spaceRoutes.invite(space, role, options)
  }

  invites(space: string): Promise<Invite[]> {
    return this.opened.spaceRoutes.invites(space)
  }

  revokeInvite(space: string, invite: string): Promise<void> {
    return this.opened.spaceRoutes.revokeInvite(space, invite)
  }

  async acceptInvite(code: string): Promise<Space> {
    const space = await this.opened.spaceRoutes.accept(code)
    // The space's history comes with the next sync.
    this.core.syncing.localWrite()
    return space
  }

  members(space: string): Promise<Member[]> {
    return this.opened.spaceRoutes.members(space)
  }

  setRole(space: string, user: string, role: Role): Promise<Member> {
    return this.opened.spaceRoutes.setRole(space, user, role)
  }

  removeMember(space: string, user: string): Promise<void> {
    return this.opened.spaceRoutes.removeMember(space, user)
  }

  async leaveSpace(space: string): Promise<void> {
    const core = this.opened
    // What this device wrote into the space goes first, if it can; what cannot is reported.
    if (core.syncing.connected) await this.sync()
    await core.spaceRoutes.leave(space)
  }

  async unreadable(): Promise<UnreadableValue[]> {
    return this.opened.store.unreadable()
  }

  /** An entity's events in HLC order (see `src/history/`). */
  async history(type: string, id: string, options?: HistoryOptions): Promise<HistoryResult> {
    return this.opened.past.read(type, id, options)
  }

  /** A read-only view of the state at `at` (an HLC, a Date or epoch ms). */
  asOf(at: string | Date | number): AsOfReader {
    return this.opened.past.asOf(at)
  }

  /** Drops acknowledged, superseded events (see `history/truncate.ts`). */
  async truncateLog(options: TruncateOptions): Promise<TruncateResult> {
    return this.opened.past.truncate(options)
  }

  /** A developer's view into this client (see `Inspector`); no token ever appears in it. */
  inspector(): Inspector {
    return this.opened.inspector()
  }

  async rebuild(): Promise<void> {
    const core = this.opened
    const types = core.store.rebuild()
    core.observers.notify(types)
    core.syncing.publish()
  }

  startSync(): void {
    this.opened.syncing.start()
  }

  stopSync(): void {
    this.core.syncing.stop()
  }

  setVisible(visible: boolean): void {
    this.core.syncing.setVisible(visible)
  }

  /**
   * Signs this user out on this device (see "Accounts on a device" in the README): closes the
   * client; its data stays for when the user returns, or with `wipe` is erased, refused with
   * `UnsentChangesError` (nothing done, still open) while changes were never delivered, unless
   * `discardUnsent`.
   */
  async signOut(options: SignOutOptions = {}): Promise<void> {
    const core = this.opened
    if (options.wipe) {
      // A sync in flight may be delivering the very changes counted next.
      await core.syncing.idle()
      const unsent = { pending: this.store.pending(), rejected: core.syncing.refused.count() }
      if (unsent.pending + unsent.rejected > 0 && !options.discardUnsent)
        throw new UnsentChangesError(unsent)
    }
    await core.shutDown(options.wipe === true)
  }

  close(): Promise<void> {
    return this.core.shutDown(false)
  }
}
