import type { ErrorCode } from '@tidings/protocol'

import type { RecoveryReason } from './recovery.js'
import type { TokenOption } from './token-source.js'

export type { RecoveryReason }

export interface SyncResult {
  /** Local bundles the server acknowledged in this sync. */
  pushed: number
  /** Remote bundles applied that this client did not have. */
  pulled: number
  /** Local bundles the server refused for good in this sync (absent when none); see `rejected()`. */
  rejected?: number
  /** Set when this sync found a restored server or a rolled-back device and recovered. */
  recovered?: Recovery
}

/** A recovery (invariant 7): bundles compared with the server, the missing ones exchanged. */
export interface Recovery {
  reason: RecoveryReason
  /** Bundles this device lacked (its own lost writes among them) and fetched. */
  missingLocally: number
  /** This device's bundles the server lacked, queued and pushed again. */
  missingOnServer: number
  at: number
}

export interface VerifyResult {
  missingLocally: number
  missingOnServer: number
  pulled: number
  pushed: number
  /**
   * Of `missingLocally`, the bundles the server lists but holds no event of any more: its
   * compaction dropped them all, each superseded by a newer write this device has. Nothing is
   * missing from this device's state. Absent when none.
   */
  compacted?: number
}

export type SyncState = 'idle' | 'syncing' | 'offline' | 'error'

export interface SyncStatus {
  state: SyncState
  /** Local bundles not yet acknowledged by the server. */
  pending: number
  /** Local bundles the server refused for good, awaiting the app (`rejected()`, discard, retry). */
  rejected: number
  lastSyncedAt: number | null
  error?: { code: ErrorCode; message: string }
  /** The last recovery from a restored server or a rolled-back device, for the app to show. */
  recovery?: Recovery
  /**
   * Values in this device's data that its schema cannot read (written by another app version,
   * of a kind no declared conversion reads); absent when none. `unreadable()` lists them. An
   * error `schema_too_old` means the server refuses this app version: the user must update.
   */
  unreadable?: number
  /**
   * Set (in the browser, on IndexedDB) while committed changes could not be saved to the
   * device's storage (`not_saved`, e.g. over quota): they live in memory only until a later
   * save succeeds, and are lost if the page closes first.
   */
  unsaved?: { code: ErrorCode; message: string }
  /**
   * Set when the server refused the credentials and a fresh token did not help (or there is
   * no token function): the app must sign the user in again, then sync resumes by itself.
   */
  signIn?: true
  /**
   * In the browser, where one tab's worker owns the database and the sync connection for all
   * tabs: `this-tab` here, `another-tab` where this tab reads and writes through that one.
   */
  connection?: 'this-tab' | 'another-tab'
}

export interface ServerOptions {
  /** One URL, or several to fail over between on network errors, in order. */
  url: string | string[]
  /**
   * The bearer token: a server token (`tidings user add`), or the app's identity provider's JWT.
   * A function is called at start, again when the server answers 401 `token_expired`, and
   * before a live stream reconnects; concurrent refreshes share one call. It may throw a
   * `TidingsError('unauthorized', …)` to say the user must sign in again; any other failure
   * counts as offline and is retried.
   */
  token: TokenOption
  /**
   * Who the token names (e.g. the user id), when `token` is a function: a change starts the
   * cursor over, as a different fixed token does. Default: one account per database.
   */
  account?: string
  /** The `fetch` to use (tests inject one); defaults to the global. */
  fetch?: typeof globalThis.fetch
  /**
   * Attempts per request on network errors and 5xx/429, with exponential backoff and jitter;
   * a `Retry-After` from the server lengthens the wait.
   */
  attempts?: number
  /** Base backoff delay, ms. */
  backoffMs?: number
  /** `startSync` period, ms. */
  intervalMs?: number
  /** Delay after a local write before an automatic sync, ms (coalesces bursts). */
  debounceMs?: number
  /** Keep a `GET /v1/live` stream open during `startSync` and sync on its pokes; default true. */
  live?: boolean
}
