import type { Invite, Member, Role, Space } from '@tidings/protocol'
import type { AsOfView, HistoryResult, TruncateOptions, TruncateResult } from '../history/types.js'
import type { Inspector } from '../inspect/types.js'
import type { Attr } from '../schema/attr.js'
import type { Schema } from '../schema/define.js'
import type { CreateInput, Entity, Patch, Query, Shape, Shapes } from '../schema/types.js'
import type { InviteOptions } from '../spaces/space-routes.js'
import type { UnreadableValue } from '../store/unreadable.js'
import type { RejectedBundle } from '../sync/rejected.js'
import type { SyncResult, SyncStatus, VerifyResult } from '../sync/types.js'
import type { UndoResult, UndoState } from '../undo/types.js'
import type { CreateOptions } from './transaction.js'

/** Options of `signOut`. */
export interface SignOutOptions {
  /** Erase this user's data from the device (default: keep it for when the user returns). */
  wipe?: boolean
  /** With `wipe`: erase even changes never delivered (else `UnsentChangesError`). */
  discardUnsent?: boolean
}

type Name<S extends Shapes> = keyof S & string
/** Attributes of a type declared with `t.ref(...)`: the to-one side of a relationship. */
export type RefKeys<S extends Shape> = {
  [K in keyof S & string]: S[K] extends Attr<unknown, boolean, boolean, 'ref', boolean> ? K : never
}[keyof S & string]

/** Reads and writes, offered by the client and by a transaction alike. */
export interface Operations<S extends Shapes> {
  /**
   * Creates an entity; `id` may be given (else a UUIDv7). Throws `bad_request` on invalid fields.
   * `options.space` puts it in a shared space (default: the private space); its space never
   * changes. Throws `forbidden` when this user is a `reader` there, `not_found` for a space this
   * device does not know, `bad_request` when the transaction already writes another space.
   */
  create<K extends Name<S>>(
    type: K,
    fields: CreateInput<S[K]>,
    options?: CreateOptions,
  ): Promise<Entity<S[K]>>
  /** The entity, or null when it does not exist or is deleted. */
  get<K extends Name<S>>(type: K, id: string): Promise<Entity<S[K]> | null>
  /**
   * Sets the given attributes (`null` clears an optional one), in the entity's own space. Throws
   * `not_found`; `forbidden` as `create` does.
   */
  update<K extends Name<S>>(type: K, id: string, patch: Patch<S[K]>): Promise<Entity<S[K]>>
  /** Tombstones the entity (a last-writer-wins `deleted` attribute). Throws `not_found`. */
  delete<K extends Name<S>>(type: K, id: string): Promise<void>
  /** Entities matching the query: indexed SQL over the type's table. */
  fetch<K extends Name<S>>(type: K, query?: Query<S[K]>): Promise<Array<Entity<S[K]>>>
}

export interface Client<S extends Shapes> extends Operations<S> {
  /** This device's client id (generated at first open, kept in the database). */
  readonly clientId: string
  readonly schema: Schema<S>
  /** The to-many side of `t.ref`: entities of `type` whose `attribute` refers to `id`. */
  related<K extends Name<S>, A extends RefKeys<S[K]>>(
    type: K,
    attribute: A,
    id: string,
    query?: Omit<Query<S[K]>, 'where'>,
  ): Promise<Array<Entity<S[K]>>>
  /**
   * Calls back at once and after committed changes (local or synced) that alter the result:
   * after the write resolves, once per burst of commits (about a frame apart at most).
   */
  observe<K extends Name<S>>(
    type: K,
    query: Query<S[K]>,
    callback: (rows: Array<Entity<S[K]>>) => void,
  ): () => void
  /** All writes of `fn` become one bundle, committed atomically when `fn` resolves. */
  transaction<R>(fn: (tx: Operations<S>) => Promise<R>): Promise<R>
  /**
   * Undoes this device's last local transaction (each create, update, delete and `transaction`
   * is one) by writing compensating events as a new local transaction, which syncs like any
   * write. An attribute is restored only while its winner is still that transaction's own
   * write; one someone changed since (here or on another device) is left alone and listed in
   * `stale`. Undoing a create deletes the entity; undoing a delete brings it back. Resolves with
   * `done: false` when there is nothing to undo. Throws `forbidden` when this user may no longer
   * write the transaction's space. The undone transaction moves to the redo stack.
   */
  undo(): Promise<UndoResult>
  /** Writes the last undone transaction's values again, with `undo`'s stale rule. */
  redo(): Promise<UndoResult>
  /** Where the undo and redo stacks stand (kept in the database, bounded by `undoLimit`). */
  undoState(): UndoState
  /** Calls back whenever `undoState()` changes; returns the unsubscribe function. */
  onUndoState(listener: (state: UndoState) => void): () => void
  /** One push + pull exchange with the server (pulls until caught up). */
  sync(): Promise<SyncResult>
  /** Compares bundle ids with the server, fetches what is missing, re-pushes what it lacks. */
  verify(): Promise<VerifyResult>
  /**
   * Local bundles the server refused for good (an id reused with other content, a bundle it
   * finds malformed or too large), oldest first. A refused bundle leaves the outbox so later
   * ones still sync; its changes stay visible on this device only until the app decides.
   */
  rejected(): Promise<RejectedBundle[]>
  /** Stops reporting a refused bundle; its changes stay local, never sent. Throws `not_found`. */
  discardRejected(id: string): Promise<void>
  /** Queues a refused bundle again, unchanged (say, after the server raised a limit). Throws `not_found`. */
  retryRejected(id: string): Promise<void>
  /**
   * This user's spaces, asked of the server (`GET /v1/spaces`): the private space (`private:
   * true`; its id is the user's id) and every shared space with this user's role. Keeps the
   * list on the device; a space no longer listed is dropped from it (see `leaveSpace`).
   */
  spaces(): Promise<Space[]>
  /** The spaces as this device last heard of them, without a request (may be empty offline). */
  cachedSpaces(): Space[]
  /** Calls back at once and whenever the device's list of spaces changes. */
  observeSpaces(callback: (spaces: Space[]) => void): () => void
  /** Creates a shared space owned by this user. */
  createSpace(name: string): Promise<Space>
  /** An invite code granting `role` in `space` (owners only), shown once: hand it over. */
  invite(space: string, role: Role, options?: InviteOptions): Promise<string>
  /** The invites of `space`, without codes (owners only). */
  invites(space: string): Promise<Invite[]>
  /** Revokes an invite (owners only). */
  revokeInvite(space: string, invite: string): Promise<void>
  /** Joins the space a code names (`not_found`: unknown code; `gone`: expired or used up). */
  acceptInvite(code: string): Promise<Space>
  /** The members of a space (any member may ask). */
  members(space: string): Promise<Member[]>
  /** Changes a member's role (owners only; `last_owner` for the last owner stepping down). */
  setRole(space: string, user: string, role: Role): Promise<Member>
  /** Removes a member (owners only; `last_owner` for the last owner). */
  removeMember(space: string, user: string): Promise<void>
  /**
   * Leaves a shared space: syncs first, then this user stops being a member and this device
   * drops the space's rows. Writes into it never delivered are listed by `rejected()` with code
   * `forbidden` (as when the space is lost any other way), never silently dropped.
   */
  leaveSpace(space: string): Promise<void>
  /**
   * Values this device holds but its schema cannot read: written by another app version with
   * another kind (a newer one, or an older one no declared `from` conversion reads). Each
   * stays in the log and syncs on; reads show it absent (or the default) until an app version
   * that reads it opens the database. `status.unreadable` counts them.
   */
  unreadable(): Promise<UnreadableValue[]>
  /** Recomputes registers and typed tables from the event log. */
  rebuild(): Promise<void>
  /**
   * Every event of one entity the device holds (written here or pulled), in HLC order, with its
   * value read as the typed API reads it, who wrote it and when; `truncatedBefore` when history
   * was cut in its space. Throws `bad_request` for a type or attribute the schema lacks.
   */
  history<K extends Name<S>>(
    type: K,
    id: string,
    options?: { attribute?: (keyof S[K] & string) | 'deleted' },
  ): Promise<HistoryResult>
  /**
   * A read-only view answering `get` and `fetch` as the state was at `at`: an HLC (events at or
   * before it) or a `Date` / epoch ms (events stamped in or before that millisecond). Throws
   * `bad_request` for anything else.
   */
  asOf(at: string | Date | number): AsOfView<S>
  /**
   * Drops events of the log that no read shows any more — acknowledged by the server,
   * superseded, not a delete — superseded before `olderThan` and/or until the log fits
   * `keepBytes`. Never unsent events, never winners: `rebuild()` gives the same state. Records
   * the history horizon it leaves (`truncatedBefore`).
   */
  truncateLog(options: TruncateOptions): Promise<TruncateResult>
  /**
   * A developer's view into this client: the log with decoded HLCs, an entity's history, the
   * outbox, refusals, cursor and spaces, the last errors, live-query timings, a debug bundle,
   * and "reset this device and resync". Never shows the token.
   */
  inspector(): Inspector
  startSync(): void
  stopSync(): void
  /**
   * Whether anyone looks at the app (the browser client tells it from its tabs' visibility):
   * while hidden, automatic sync polls every minute at most; shown again, it syncs at once.
   */
  setVisible(visible: boolean): void
  readonly status: SyncStatus
  onStatus(listener: (status: SyncStatus) => void): () => void
  /** Stops syncing and closes the database. */
  close(): Promise<void>
  /**
   * Signs this user out on this device: stops syncing and closes the database. Its data, and
   * changes not yet delivered, stay in this user's database for when the user returns. With
   * `{ wipe: true }` the database is erased instead (a later open starts empty, with a new client
   * id); refused with `UnsentChangesError` (`unsent_changes`; nothing erased, the client stays
   * open) while changes were never delivered, unless `discardUnsent: true` as well.
   */
  signOut(options?: SignOutOptions): Promise<void>
}
