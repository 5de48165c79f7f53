import type { Hlc } from '@tidings/protocol'
import type { Store } from './store.js'
import { unresumedAfter } from './unresumed.js'

/**
 * Re-stamping: gives new HLCs to the local bundles stamped further ahead than the server will
 * ever have stored (queued ones above all), and moves the clock back with them.
 *
 * Why it is safe, and why ids stay: the caller passes `boundMs`, a time past which the server
 * provably holds none of this device's bundles (see `sync/restamp.ts`: the server stores a bundle
 * only while its HLC is within its drift limit of the server clock, and that clock only moves
 * on). So every queued bundle above it has never been stored by anyone: no other replica holds
 * any version of it, and rewriting its events' HLCs in place (same bundle id, same event ids)
 * cannot make two replicas hold different content under one id (DESIGN.md invariant 1). Fresh
 * ids would buy nothing here and would orphan what refers to the old ones.
 *
 * The clock is rewound to the greatest HLC left in the log below the bound (received events
 * and every bundle the server may hold are there), so the values it forgets were held only by
 * the bundles now re-stamped: it never issues an HLC anyone holds (invariant 2). Re-stamped
 * bundles then take fresh values in the order they were written, so they stay after every kept
 * event and in order. Nothing else should lie past the bound (received events were stored within
 * the same limit), so no register should change winner; registers and typed rows are still
 * recomputed from the log in the same transaction, as insurance at a rare moment, since a
 * register left on a loser would stay wrong for good.
 *
 * A local bundle set aside as refused (`sync/rejected.ts`) is re-stamped too when past the
 * bound: it was never stored either, and left ahead it would keep beating later writes on this
 * device, and hold a value the rewound clock may issue again (`retryRejected` would then send
 * two events with one HLC).
 */

/**
 * Local bundles the server has not acknowledged whose HLC is past `?` (an ISO prefix), queued
 * or set aside, in the order they were written (their HLC order: one clock stamped them all).
 * A scan of the bundles: re-stamping is rare.
 */
const LOCAL_PAST = `SELECT id, first_event, last_event FROM bundles
WHERE local = 1 AND acknowledged = 0 AND hlc >= ? ORDER BY hlc`
/** The greatest HLC in the log before `?` (an ISO prefix). A scan: re-stamping is rare. */
const LATEST_BEFORE = 'SELECT max(hlc) AS hlc FROM events WHERE hlc < ?'
const EVENTS_OF = 'SELECT seq FROM events WHERE seq BETWEEN ? AND ? ORDER BY seq'
const SET_EVENT_HLC = 'UPDATE events SET hlc = ? WHERE seq = ?'
const SET_BUNDLE_HLC = 'UPDATE bundles SET hlc = ? WHERE id = ?'
const SET_STATE =
  'INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'

export interface Restamped {
  /** Ids of the bundles that got new HLCs, in the order they were written. */
  bundles: string[]
  /** Types whose typed rows were recomputed (empty when nothing was re-stamped). */
  types: Set<string>
}

/**
 * Re-stamps every unacknowledged local bundle whose HLC is past `boundMs` (epoch ms), in one
 * transaction. The caller vouches that the server holds no bundle of this device past `boundMs`.
 */
export const restampPast = (store: Store, boundMs: number): Restamped => {
  // HLCs sort by their ISO prefix: everything from the next millisecond on is past the bound.
  const past = new Date(Math.floor(boundMs) + 1).toISOString()
  const clock = store.clock
  const before = clock.last
  try {
    return store.sql.transaction(() => {
      const queued = store.sql.all<{ id: string; first_event: number; last_event: number }>(
        LOCAL_PAST,
        [past],
      )
      if (queued.length === 0) return { bundles: [], types: new Set<string>() }
      const kept = store.sql.one<{ hlc: Hlc | null }>(LATEST_BEFORE, [past])?.hlc ?? null
      clock.rewind(kept)
      for (const bundle of queued) {
        let hlc: Hlc | null = null
        for (const { seq } of store.sql.all<{ seq: number }>(EVENTS_OF, [
          bundle.first_event,
          bundle.last_event,
        ])) {
          hlc = clock.send()
          store.sql.run(SET_EVENT_HLC, [hlc, seq])
        }
        if (hlc !== null) store.sql.run(SET_BUNDLE_HLC, [hlc, bundle.id])
      }
      store.sql.run(SET_STATE, ['last_hlc', clock.last ?? ''])
      return { bundles: queued.map((b) => b.id), types: store.rebuildInTransaction() }
    })
  } catch (error) {
    // Rolled back: the log still holds the old HLCs, so the clock must stay past them.
    clock.rewind(before)
    throw error
  }
}

/** Local unacknowledged bundles (queued or set aside) from HLC `?` on, in the order written. */
const LOCAL_FROM = `SELECT id, first_event, last_event FROM bundles
WHERE local = 1 AND acknowledged = 0 AND hlc >= ? ORDER BY hlc`
/**
 * The first local unacknowledged bundle's HLC at or below `?`, written after `?` (the database's
 * opening before any `resume` answer: see unresumed.ts; the copy's own bundles keep their stamps).
 */
const FIRST_AT_OR_BELOW =
  'SELECT min(hlc) AS hlc FROM bundles WHERE local = 1 AND acknowledged = 0 AND hlc <= ? AND hlc > ?'

/**
 * After a rollback: re-stamps the unacknowledged local bundles stamped at or below `hlc` (the
 * server's latest HLC of this client, `own`) and written since the database was opened on the
 * copy (`unresumedAfter`), and every unacknowledged one written after the first of them (so
 * they keep the order they were written in), above the clock, which the caller has moved past
 * `hlc`. In one transaction, registers and typed rows recomputed.
 *
 * Why: a device whose database went back in time resumes its clock from the copy's last HLC,
 * so what it wrote before the server's first answer may carry HLCs the server already holds
 * for other events of this client, lost by the rollback (invariant 2). Ids stay: such a bundle
 * was never stored. A bundle queued in the copy keeps its stamps: the lost incarnation may have
 * pushed it, and siblings hold it; a server restored from a backup since may have lost it, and
 * would then take new stamps that the siblings never see (see unresumed.ts).
 */
export const restampAtOrBelow = (store: Store, hlc: string): Restamped =>
  store.sql.transaction(() => {
    const after = unresumedAfter(store.sql)
    const first = store.sql.one<{ hlc: Hlc | null }>(FIRST_AT_OR_BELOW, [hlc, after])?.hlc ?? null
    if (first === null) return { bundles: [], types: new Set<string>() }
    const clock = store.clock
    const queued = store.sql.all<{ id: string; first_event: number; last_event: number }>(
      LOCAL_FROM,
      [first],
    )
    for (const bundle of queued) {
      let stamp: Hlc | null = null
      for (const { seq } of store.sql.all<{ seq: number }>(EVENTS_OF, [
        bundle.first_event,
        bundle.last_event,
      ])) {
        stamp = clock.send()
        store.sql.run(SET_EVENT_HLC, [stamp, seq])
      }
      if (stamp !== null) store.sql.run(SET_BUNDLE_HLC, [stamp, bundle.id])
    }
    store.sql.run(SET_STATE, ['last_hlc', clock.last ?? ''])
    return { bundles: queued.map((b) => b.id), types: store.rebuildInTransaction() }
  })
