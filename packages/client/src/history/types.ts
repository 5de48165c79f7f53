import type { JsonValue } from '@tidings/protocol'
import type { Entity, Query, Shapes } from '../schema/types.js'

type Name<S extends Shapes> = keyof S & string

/** Options of `client.history`. */
export interface HistoryOptions {
  /** Only this attribute's events (its earlier names included, when it was renamed). */
  attribute?: string
}

/** One event of an entity's history, as `client.history` lists it. */
export interface HistoryEvent {
  /** The event id (unique across all devices). */
  id: string
  /** The attribute as the event wrote it (an earlier name of a renamed attribute stays as is). */
  attribute: string
  /**
   * The value as the typed API reads it with this app's schema (a `Date` for dates, parsed JSON,
   * booleans; `null` for a cleared attribute). A value this schema cannot read, or of an
   * attribute it does not declare, is the raw value.
   */
  value: unknown
  /** The value exactly as logged (JSON). */
  raw: JsonValue
  /** A delete tombstone (`deleted` set to true). */
  deleted: boolean
  /** Whether this event holds its attribute now (last writer wins). */
  wins: boolean
  /** The HLC text; its order is the history's order. */
  hlc: string
  /** The HLC's physical part: when the writing device stamped it (its corrected clock). */
  time: Date
  /** Events stamped within the same millisecond by that device, counted from 0. */
  counter: number
  /** The client (device) that wrote it. */
  client: string
  /**
   * The user that wrote it, where this device knows it: its own writes and every event of the
   * private space (only its user writes there) once the private space's id (the user id) is
   * known; undefined for other devices' writes in a shared space (bundles do not carry users).
   */
  user?: string
  /** The bundle (transaction) that brought it. */
  bundle: string
  /** Written on this device (else pulled). */
  local: boolean
}

/** The answer of `client.history`. */
export interface HistoryResult {
  /** Every event of the entity the log holds, in HLC order (last-writer-wins order). */
  events: HistoryEvent[]
  /**
   * The horizon of the entity's space, when history was cut there (`truncateLog` on this device
   * or compaction on the server): superseded events stamped before this HLC may be missing.
   */
  truncatedBefore?: string
}

/**
 * A read-only view of the state as it was at an HLC (`client.asOf`): per attribute, the
 * last writer among the events stamped at or before it; deletes as they stood then.
 */
export interface AsOfView<S extends Shapes> {
  /** The bound as text: events with an HLC at or below it are in the view. */
  readonly at: string
  /**
   * Set when the bound lies before a history horizon (see `HistoryResult.truncatedBefore`):
   * superseded events before this HLC may be gone, so an attribute may show a later value than
   * it had then, or none. The view still answers; say so to the user.
   */
  readonly truncatedBefore?: string
  /** The entity as it was, or null when it did not exist yet or was deleted then. */
  get<K extends Name<S>>(type: K, id: string): Promise<Entity<S[K]> | null>
  /**
   * Entities as they were, with `client.fetch`'s query (where, orderBy, limit, offset,
   * includeDeleted, space), decoded as `fetch` decodes them: a value another app version wrote
   * in another kind goes through the schema's declared conversions, as in `get`.
   */
  fetch<K extends Name<S>>(type: K, query?: Query<S[K]>): Promise<Array<Entity<S[K]>>>
}

/** Options of `client.truncateLog`: at least one of them. */
export interface TruncateOptions {
  /** Drop only events superseded before this time (a `Date` or epoch ms). */
  olderThan?: Date | number
  /**
   * Drop superseded events, oldest superseded first, until the log's size (the bytes of its
   * events' ids, names, values and HLCs) is at most this; what may not go stays.
   */
  keepBytes?: number
}

/** What `client.truncateLog` did. */
export interface TruncateResult {
  /** Events dropped. */
  dropped: number
  /** Events left in the log. */
  kept: number
  /** The log's size before and after, in the bytes `keepBytes` counts. */
  bytesBefore: number
  bytesAfter: number
  /** The horizon recorded (the greatest of the spaces touched), if anything was dropped. */
  horizon?: string
}
