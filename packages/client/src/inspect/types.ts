import type { JsonValue, Space } from '@tidings/protocol'
import type { RejectedBundle } from '../sync/rejected.js'
import type { SyncStatus } from '../sync/types.js'
import type { LoggedError } from './error-log.js'
import type { DecodedHlc } from './hlc.js'
import type { LiveQueryTiming } from './timing-ring.js'

export type { DecodedHlc, LiveQueryTiming, LoggedError }

/** Which events `inspector().events()` lists: newest first, a page at a time. */
export interface EventQuery {
  /** Only events of this entity type (all types when absent). */
  type?: string
  /** Only events of this entity (with `type`). */
  id?: string
  /** At most this many (default 100, at most 1,000). */
  limit?: number
  /** Only events logged before this `seq` (the last page's `next`): the next page. */
  before?: number
}

/** One event of the local log. */
export interface InspectedEvent {
  /** Its position in this device's log (not shared with other devices). */
  seq: number
  id: string
  type: string
  entity: string
  attribute: string
  value: JsonValue
  hlc: DecodedHlc
  /** The bundle (transaction) that brought it. */
  bundle: string
  /** Whether it holds its register now (last writer wins): false when a later write beat it. */
  wins: boolean
  /** Written on this device (else pulled). */
  local: boolean
  /** The server holds it (always true for pulled events). */
  acknowledged: boolean
  /** The shared space it belongs to; null for the private space. */
  space: string | null
}

export interface EventPage {
  events: InspectedEvent[]
  /** `before` for the next page, or null when this page is the last. */
  next: number | null
}

/** One step of an entity's history: a transaction's writes to it, in clock order. */
export interface HistoryStep {
  hlc: DecodedHlc
  bundle: string
  local: boolean
  acknowledged: boolean
  /** The attributes this step wrote, with the values it wrote (winning or not). */
  changed: Record<string, JsonValue>
  /** The entity's attributes after this step, as last-writer-wins resolves them. */
  state: Record<string, JsonValue>
}

/** A bundle waiting for the server. */
export interface OutboxEntry {
  /** Its place in the queue (sent in this order). */
  position: number
  bundle: string
  hlc: DecodedHlc
  space: string | null
  /** How many events it carries. */
  eventCount: number
  /** Its first events (up to `eventsPerBundle`), to see what it is. */
  events: Array<Pick<InspectedEvent, 'type' | 'entity' | 'attribute' | 'value'>>
}

export interface OutboxPage {
  /** Bundles waiting in all. */
  total: number
  entries: OutboxEntry[]
}

/** Where this device stands with the server. Never holds the token. */
export interface SyncInfo {
  clientId: string
  /** The opaque server position this device pulls after; null before the first pull. */
  cursor: string | null
  /** The private space's id (the user's id) once learnt. */
  privateSpace: string | null
  /** The device's list of spaces with its role in each. */
  spaces: Space[]
  /** The server URLs this database syncs with (credentials in a URL are left out). */
  servers: string[]
  status: SyncStatus
  /** The last HLC this device issued or saw: new writes are stamped after it. */
  lastHlc: DecodedHlc | null
  /** The learnt difference between the server's clock and this device's, ms. */
  clockOffsetMs: number
  /** Recent failures, newest first (this process only). */
  lastErrors: LoggedError[]
}

export interface ResetOptions {
  /**
   * Reset even when writes never reached the server (queued, or refused and not discarded):
   * they are lost. Without it such a reset throws `unsent_changes` and changes nothing.
   */
  discardUnsent?: boolean
}

export interface ResetResult {
  /** Unsent bundles dropped (only with `discardUnsent`). */
  discarded: number
  /** Bundles pulled again from the server by the resync. */
  pulled: number
}

/** Everything the inspector shows, in one JSON-serializable object, for a bug report. */
export interface DebugBundle {
  format: 'tidings-debug/1'
  createdAt: string
  schema: Record<string, string[]>
  counts: { bundles: number; events: number; entities: Record<string, number> }
  sync: SyncInfo
  outbox: OutboxPage
  refused: RejectedBundle[]
  liveQueries: LiveQueryTiming[]
  /** The newest events of the log (values included: share the bundle accordingly). */
  recentEvents: InspectedEvent[]
}

/**
 * A developer's view into one client (`client.inspector()`): the log, an entity's history, the
 * outbox, refusals, sync state, live-query timings, a debug bundle, and a device reset. Every
 * method is async and answers plain data (structured-cloneable), so the browser client offers
 * the same object over its worker. Nothing it answers contains the token.
 */
export interface Inspector {
  /** Events of the local log, newest first; filtered by type and entity; paged by `before`. */
  events(query?: EventQuery): Promise<EventPage>
  /** An entity's history, oldest first: each transaction that wrote it and the state after it. */
  history(type: string, id: string): Promise<HistoryStep[]>
  /** The bundles waiting for the server, oldest first (the first `limit`, default 100). */
  outbox(options?: { limit?: number; eventsPerBundle?: number }): Promise<OutboxPage>
  /** Bundles the server refused for good, with its code, message and details (`rejected()`). */
  refused(): Promise<RejectedBundle[]>
  /** Cursor, spaces, status, clock and the last errors. */
  sync(): Promise<SyncInfo>
  /** Each live query's run count, row count and timings (last and median, ms). */
  liveQueries(): Promise<LiveQueryTiming[]>
  /** All of the above in one JSON-serializable object (no token in it). */
  debugBundle(): Promise<DebugBundle>
  /**
   * Wipes this device's copy and pulls it again from the server, keeping its client id and
   * clock. Syncs first so every write reaches the server; when some still did not (offline
   * writes while the sync failed, refused bundles not discarded) it throws `unsent_changes`
   * and changes nothing, unless `discardUnsent: true`. Throws the sync's error when the server
   * cannot be reached (a reset would leave the device empty), `bad_request` without a server.
   */
  resetDevice(options?: ResetOptions): Promise<ResetResult>
}
