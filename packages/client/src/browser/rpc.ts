import { ERROR_STATUS, type ErrorCode, TidingsError } from '@tidings/protocol'
import type { ServerOptions } from '../sync/types.js'
import type { RowsDiff } from './row-diff.js'

/** Where the worker keeps the database: OPFS, IndexedDB blocks, or (last resort) memory. */
export type BrowserStorage = 'opfs' | 'indexeddb' | 'memory'
/**
 * What a resolved write means on this device. `writes`: `saved` = a write's promise resolves
 * only once the write is durable in `storage` (OPFS flushed, or the IndexedDB transaction
 * holding it complete); `memory` = nothing is saved (no storage allowed, warned).
 * `synchronous`: SQLite's `PRAGMA synchronous` as read back from the open database.
 */
export interface Durability {
  writes: 'saved' | 'memory'
  synchronous: 'off' | 'normal' | 'full' | 'extra'
}
/** `auto` tries OPFS, then IndexedDB; the others force one (tests, debugging). */
export type StoragePreference = 'auto' | 'opfs' | 'indexeddb'

/** Client methods the page may call; each answers one `result` or `error`. */
export const CALLS = [
  'create',
  'get',
  'update',
  'delete',
  'fetch',
  'sync',
  'verify',
  'rebuild',
  'related',
  'startSync',
  'stopSync',
  // Whether this tab is visible; the owner syncs as if visible while any tab is.
  'setVisible',
  'rejected',
  'discardRejected',
  'retryRejected',
  'unreadable',
  // Shared spaces (DESIGN §8).
  'spaces',
  'createSpace',
  'invite',
  'invites',
  'revokeInvite',
  'acceptInvite',
  'members',
  'setRole',
  'removeMember',
  'leaveSpace',
  // Undo and redo (issue 16): the undo state streams through `observe-undo`.
  'undo',
  'redo',
  // History (issue 16): `asOf`'s args are [bound, 'get' | 'fetch', ...its arguments] (as-of-rpc.ts).
  'history',
  'asOf',
  'truncateLog',
  // Closes the client for every tab; waits for the save like any write (a wipe must stick).
  'signOut',
  // The inspector: `args` are [one of INSPECT_CALLS, ...its arguments].
  'inspect',
] as const
export type CallMethod = (typeof CALLS)[number]
/** The inspector's methods, answered by the owner's client (every tab inspects the same one). */
export const INSPECT_CALLS = [
  'events',
  'history',
  'outbox',
  'refused',
  'sync',
  'liveQueries',
  'debugBundle',
  'resetDevice',
] as const
export type InspectMethod = (typeof INSPECT_CALLS)[number]
/** Calls that never write: they answer without waiting for a save (every other call waits). */
export const READ_CALLS: readonly CallMethod[] = [
  'get',
  'fetch',
  'related',
  'rejected',
  'unreadable',
  'startSync',
  'stopSync',
  'setVisible',
  'members',
  'invites',
  'history',
  'asOf',
]
/** The write methods a transaction handle offers. */
export const TX_CALLS = ['create', 'get', 'update', 'delete', 'fetch'] as const
export type TxMethod = (typeof TX_CALLS)[number]

export interface OpenOptions {
  name: string
  storage: StoragePreference
  /** Everything but `fetch` (functions cannot cross to the worker, which uses its own). */
  server?: Omit<ServerOptions, 'fetch'>
}

/**
 * How a `call` sent again after a hand-over (the tab owning the database went away before it
 * answered) must run so that it applies at most once: `own-id` = a create whose id the tab made
 * before the first attempt (an existing entity with that id is that first attempt's).
 */
export type Retry = 'own-id' | 'given-id' | 'again'

/** Page → worker. `id` correlates the answer; for `observe` it also names the subscription. */
export type Request =
  | { kind: 'open'; id: number; options: OpenOptions }
  | {
      kind: 'call'
      id: number
      method: CallMethod
      args: unknown[]
      /** Set when this call is sent again after a hand-over. */
      retry?: Retry
      /** A create whose id was made for it before its first attempt (see `withOwnId`). */
      ownId?: true
    }
  | { kind: 'observe'; id: number; type: string; query: unknown }
  | { kind: 'observe-spaces'; id: number }
  /** Streams `undoState()` as one-row `rows` replies: at once, then on every change. */
  | { kind: 'observe-undo'; id: number }
  /**
   * Streams the greatest history horizon (`null` while none) as one-row `rows` replies: at
   * once, then on every change (what an `asOf` view made on the page reports as
   * `truncatedBefore`).
   */
  | { kind: 'observe-horizon'; id: number }
  | { kind: 'unobserve'; id: number }
  | { kind: 'begin'; id: number }
  | { kind: 'tx-call'; id: number; tx: number; method: TxMethod; args: unknown[] }
  | { kind: 'end'; id: number; tx: number; commit: boolean }
  | { kind: 'close'; id: number }

export interface Opened {
  clientId: string
  storage: BrowserStorage
  durability: Durability
  status: unknown
  /** A Web Lock the page's worker holds while it lives: granted to the page once it died. */
  lifeLock?: string
  /** The greatest history horizon when opened, if any history was cut. */
  horizon?: string
}

/** Worker → page. */
export type Reply =
  | { kind: 'result'; id: number; value: unknown }
  | { kind: 'error'; id: number; error: WireError }
  | { kind: 'rows'; id: number; rows: unknown[] }
  /** A live query's new rows as changes to the last ones this page got (see `row-diff.ts`). */
  | { kind: 'diff'; id: number; diff: RowsDiff }
  | { kind: 'status'; status: unknown }

export interface WireError {
  code: ErrorCode
  message: string
  details?: unknown
}

/** Tab ↔ tab, on the `BroadcastChannel` named `tidings:<database name>`. */
export type TabMessage =
  /** A tab asks which tab owns the database (at start; the owner answers with `owner`). */
  | { kind: 'who' }
  /** The tab `tab` owns the database; its life lock is `lifeLock`. */
  | { kind: 'owner'; tab: string; lifeLock: string }
  /** Tab `from`'s request to the owner `to` (no other tab answers it); ids are `from`'s own. */
  | { kind: 'request'; from: string; to: string; lifeLock: string; request: Request }
  /** The owner's reply to one tab's request, or rows for one of its subscriptions. */
  | { kind: 'reply'; to: string; reply: Reply }
  /** The owner's sync status, for every tab. */
  | { kind: 'status'; status: unknown }

/** Flattens any thrown value for postMessage; unknown errors become `internal`. */
export function toWireError(error: unknown): WireError {
  if (error instanceof TidingsError) {
    const wire: WireError = { code: error.code, message: error.message }
    if (error.details !== undefined) wire.details = cloneable(error.details)
    return wire
  }
  return { code: 'internal', message: error instanceof Error ? error.message : String(error) }
}

/** Rebuilds the worker's error on the page as a real `TidingsError` with the same code. */
export function fromWireError(error: WireError): TidingsError {
  const code: ErrorCode = Object.hasOwn(ERROR_STATUS, error.code) ? error.code : 'internal'
  return new TidingsError(
    code,
    error.message,
    error.details === undefined ? undefined : { details: error.details },
  )
}

function cloneable(value: unknown): unknown {
  try {
    return structuredClone(value)
  } catch {
    return String(value)
  }
}
