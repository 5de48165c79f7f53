import { type Bundle, type Event, newId, type Part, type PartedBundle } from '@tidings/protocol'
import type { StatementCache } from '../driver/sqlite.js'

/**
 * Transactions bigger than one bundle may be (DESIGN.md invariant 5, §7 limits): a local
 * transaction of more events than `maxEventsPerBundle`, or more bytes than one request may
 * carry, is committed as several bundles, its parts, which name one group. Pushes send them like
 * any bundles, across several requests if need be; a puller holds the parts it gets aside until
 * all of them are here and then applies them in one SQLite transaction, so no device ever shows
 * part of the transaction. Until then they are in neither the log nor the state, so `rebuild()`
 * (which replays the log) is unaffected, and `verify()` counts them as present.
 */

const SET_PART =
  'INSERT INTO bundle_parts (bundle, grp, idx, cnt) VALUES (?, ?, ?, ?) ON CONFLICT (bundle) DO NOTHING'
const PART_OF = 'SELECT grp, idx, cnt FROM bundle_parts WHERE bundle = ?'
const HOLD =
  'INSERT INTO held_parts (bundle, grp, idx, cnt, body) VALUES (?, ?, ?, ?, ?) ON CONFLICT (bundle) DO NOTHING'
const HELD_COUNT = 'SELECT count(*) AS n FROM held_parts WHERE grp = ?'
const HELD_GROUP = 'SELECT body, grp, idx, cnt FROM held_parts WHERE grp = ? ORDER BY idx'
const RELEASE_GROUP = 'DELETE FROM held_parts WHERE grp = ?'
const HELD_IDS = 'SELECT bundle AS id FROM held_parts'
const HELD_ONE = 'SELECT 1 AS held FROM held_parts WHERE bundle = ?'
const IS_STORED = 'SELECT 1 AS x FROM bundles WHERE id = ?'

/** How big one bundle of a local transaction may be; a bigger one is cut into parts. */
export interface BundleLimits {
  maxEvents: number
  /** Bytes of JSON one bundle may take in a request (default: no limit). */
  maxBytes?: number
  /** The largest value (default 256 KiB); bounds a bundle's bytes before any is measured. */
  maxValueBytes?: number
}

/** Room for an event's fields besides its value on the wire (ids, HLC, names, punctuation). */
const EVENT_OVERHEAD_BYTES = 400

/**
 * Where a local transaction of `values.length` writes is cut into parts: the end (exclusive)
 * of each part, so `[n]` for the usual transaction of one bundle. A part holds at most
 * `maxEvents` events and, as JSON, about `maxBytes` at most (never less than one event).
 * Sizes are only measured when the transaction could exceed `maxBytes` at all.
 */
export const cutPoints = (
  values: ReadonlyArray<{ value: unknown; entity: string }>,
  limits: { maxEvents: number; maxBytes: number; maxValueBytes: number },
): number[] => {
  const n = values.length
  const worst = limits.maxValueBytes + EVENT_OVERHEAD_BYTES
  if (n <= limits.maxEvents && n * worst <= limits.maxBytes) return [n]
  const cuts: number[] = []
  let start = 0
  let bytes = 0
  const measure = n * worst > limits.maxBytes
  for (let i = 0; i < n; i++) {
    const op = values[i]!
    const size = measure
      ? (JSON.stringify(op.value)?.length ?? 4) * 3 + op.entity.length + EVENT_OVERHEAD_BYTES
      : 0
    if (i > start && (i - start === limits.maxEvents || bytes + size > limits.maxBytes)) {
      cuts.push(i)
      start = i
      bytes = 0
    }
    bytes += size
  }
  cuts.push(n)
  return cuts
}

/**
 * The bundles of a local transaction's stamped `events`: one, as usual, or the parts of a new
 * group when they are over `limits`.
 */
export const bundlesOf = (
  events: Event[],
  client: string,
  limits: BundleLimits,
): PartedBundle[] => {
  const { maxEvents, maxBytes = Number.POSITIVE_INFINITY, maxValueBytes = 256 * 1024 } = limits
  const cuts = cutPoints(events, { maxEvents, maxBytes, maxValueBytes })
  const group = cuts.length > 1 ? newId() : ''
  return cuts.map((end, index) => {
    const part = cuts.length === 1 ? events : events.slice(cuts[index - 1] ?? 0, end)
    const bundle: PartedBundle = {
      id: newId(),
      client,
      hlc: part[part.length - 1]!.hlc,
      events: part,
    }
    if (group) bundle.part = { group, index, count: cuts.length }
    return bundle
  })
}

/** Records that a stored bundle is a part (inside the caller's transaction). */
export const recordPart = (sql: StatementCache, bundle: string, part: Part): void => {
  sql.run(SET_PART, [bundle, part.group, part.index, part.count])
}

/** The part marker of a stored bundle, if it is one part of a bigger transaction. */
export const partOf = (sql: StatementCache, bundle: string): Part | undefined => {
  const row = sql.one<{ grp: string; idx: number; cnt: number }>(PART_OF, [bundle])
  return row ? { group: row.grp, index: Number(row.idx), count: Number(row.cnt) } : undefined
}

/**
 * Holds a pulled part aside (inside the caller's transaction). Returns every part of its
 * transaction, in order, when this one completed it (they are released from hold), else null.
 * A part already applied, or already held, changes nothing.
 */
export const holdPart = (
  sql: StatementCache,
  bundle: Bundle,
  part: Part,
): PartedBundle[] | null => {
  if (sql.one(IS_STORED, [bundle.id])) return null
  const body = JSON.stringify(bundle)
  if (sql.run(HOLD, [bundle.id, part.group, part.index, part.count, body]) === 0) return null
  const held = Number(sql.one<{ n: number }>(HELD_COUNT, [part.group])?.n ?? 0)
  if (held < part.count) return null
  const rows = sql.all<{ body: string; grp: string; idx: number; cnt: number }>(HELD_GROUP, [
    part.group,
  ])
  sql.run(RELEASE_GROUP, [part.group])
  return rows.map((r) => ({
    ...(JSON.parse(r.body) as Bundle),
    part: { group: r.grp, index: Number(r.idx), count: Number(r.cnt) },
  }))
}

/** Ids of the parts held aside, waiting for the rest of their transaction. */
export const heldPartIds = (sql: StatementCache): string[] =>
  sql.all<{ id: string }>(HELD_IDS).map((r) => r.id)

/** True when `id` is a part held aside until the rest of its group arrives. */
export const isHeldPart = (sql: StatementCache, id: string): boolean =>
  sql.one(HELD_ONE, [id]) !== undefined
