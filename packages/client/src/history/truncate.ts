import { MAX_MS, TidingsError } from '@tidings/protocol'
import type { Store } from '../store/store.js'
import { boundOf } from './bound.js'
import { raiseHorizon } from './horizons.js'
import type { TruncateOptions, TruncateResult } from './types.js'

/** An event's size as `keepBytes` counts it: its id, names, value and HLC, in bytes. */
const BYTES = `length(CAST(id AS BLOB)) + length(CAST(type AS BLOB)) + length(CAST(entity AS BLOB))
  + length(CAST(attribute AS BLOB)) + length(CAST(value AS BLOB)) + length(hlc)`

/**
 * Each event that a later event of its register supersedes, with that successor's HLC (`next`):
 * the moment from which the event no longer shows anywhere, not even in `asOf`. Winners (no
 * successor) and `deleted` events (tombstones, and the undeletes that answer them) never appear.
 */
const SUPERSEDED = `SELECT c.seq, c.next, c.bytes, s.space FROM (
  SELECT seq, entity, attribute, ${BYTES} AS bytes,
    lead(hlc) OVER (PARTITION BY type, entity, attribute ORDER BY hlc, id) AS next
  FROM events
) c LEFT JOIN entity_spaces s ON s.entity = c.entity
WHERE c.next IS NOT NULL AND c.attribute <> 'deleted'`

/** Log ranges of bundles the server has not acknowledged (queued, refused or requeued). */
const UNSENT_RANGES = `SELECT first_event AS first, last_event AS last FROM bundles
WHERE acknowledged = 0 OR id IN (SELECT bundle FROM outbox)`
/** Events such bundles found already logged under another bundle (see known-events.ts). */
const UNSENT_KNOWN = `SELECT e.seq FROM known_events k JOIN events e ON e.id = k.event
JOIN bundles b ON b.id = k.bundle WHERE b.acknowledged = 0 OR b.id IN (SELECT bundle FROM outbox)`

interface Candidate {
  seq: number
  next: string
  bytes: number
  space: string | null
}

/**
 * `client.truncateLog`: drops events that no read can show any more, to bound the log's size.
 * An event may go when the server acknowledged it (never one still to send: a resend must be
 * whole), a later event of its register supersedes it, and it is not a `deleted` event. The
 * winners stay, so `rebuild()` gives the same state. Events go in the order they were
 * superseded (oldest first): with `olderThan`, those superseded before that time; with
 * `keepBytes`, until the log fits. Each space's horizon becomes the latest time an event
 * dropped there was superseded, and `asOf` at or after it stays exact: for each register the
 * last event before any such moment is kept.
 *
 * The log's greatest `seq` always stays: the next bundle is numbered after it (see
 * `lastEventSeq`), and a bundle's range must never reach over another's events.
 */
export const truncateLog = (store: Store, options: TruncateOptions): TruncateResult => {
  const { olderThan, keepBytes } = options
  if (olderThan === undefined && keepBytes === undefined)
    throw new TidingsError('bad_request', 'truncateLog: give olderThan, keepBytes or both')
  if (keepBytes !== undefined && !(Number.isFinite(keepBytes) && keepBytes >= 0))
    throw new TidingsError('bad_request', 'truncateLog: keepBytes must be a number ≥ 0')
  // Superseded before `olderThan`: its successor is stamped in an earlier millisecond.
  const ms = olderThan instanceof Date ? olderThan.getTime() : olderThan
  if (ms !== undefined && !Number.isFinite(ms))
    throw new TidingsError('bad_request', 'truncateLog: olderThan must be a valid Date or epoch ms')
  const before =
    ms === undefined ? undefined : ms < 1 ? '' : boundOf(Math.min(MAX_MS, Math.floor(ms) - 1))
  const { sql } = store
  return sql.transaction(() => {
    const total = () =>
      Number(sql.one<{ n: number | null }>(`SELECT sum(${BYTES}) AS n FROM events`)?.n ?? 0)
    const bytesBefore = total()
    const last = Number(
      sql.one<{ seq: number }>('SELECT coalesce(max(seq), 0) AS seq FROM events')?.seq,
    )
    const unsent = unsentRanges(sql.all<{ first: number; last: number }>(UNSENT_RANGES))
    const held = new Set(sql.all<{ seq: number }>(UNSENT_KNOWN).map((r) => Number(r.seq)))
    const sendable = (seq: number) => seq !== last && !held.has(seq) && !unsent(seq)
    const candidates = sql
      .all<Candidate>(
        before === undefined ? SUPERSEDED : `${SUPERSEDED} AND c.next <= ?`,
        before === undefined ? [] : [before],
      )
      .filter((c) => sendable(Number(c.seq)))
      .sort((a, b) => (a.next < b.next ? -1 : a.next > b.next ? 1 : 0))
    let size = bytesBefore
    const horizons = new Map<string | null, string>()
    let dropped = 0
    for (const c of candidates) {
      if (keepBytes !== undefined && size <= keepBytes) break
      sql.run('DELETE FROM events WHERE seq = ?', [c.seq])
      size -= Number(c.bytes)
      dropped += 1
      // Sorted by `next`: the last one seen per space is its greatest.
      horizons.set(c.space, c.next)
    }
    for (const [space, hlc] of horizons) raiseHorizon(sql, space, hlc)
    const kept = Number(sql.one<{ n: number }>('SELECT count(*) AS n FROM events')?.n ?? 0)
    const result: TruncateResult = { dropped, kept, bytesBefore, bytesAfter: total() }
    const greatest = [...horizons.values()].sort().pop()
    if (greatest !== undefined) result.horizon = greatest
    return result
  })
}

/**
 * Whether a `seq` lies in one of the ranges: sorted once, then a binary search per event (an
 * offline device may hold thousands of unsent bundles, and the log hundreds of thousands of
 * candidates). Ranges of distinct bundles never overlap; empty ones (`last < first`) hold nothing.
 */
const unsentRanges = (ranges: Array<{ first: number; last: number }>) => {
  const sorted = ranges
    .map((r) => ({ first: Number(r.first), last: Number(r.last) }))
    .filter((r) => r.last >= r.first)
    .sort((a, b) => a.first - b.first)
  return (seq: number): boolean => {
    let lo = 0
    let hi = sorted.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      const r = sorted[mid]!
      if (seq < r.first) hi = mid - 1
      else if (seq > r.last) lo = mid + 1
      else return true
    }
    return false
  }
}
