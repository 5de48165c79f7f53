import type { Hlc } from '@tidings/protocol'
import type { Store } from './store.js'

/**
 * Re-stamping: gives new HLCs to queued local bundles stamped further ahead than the server
 * will ever have stored, and moves the clock back with them.
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
 * bundles then take fresh values in outbox order, so they stay after every kept event and in
 * the order they were written. Registers and typed rows are recomputed from the log in the same
 * transaction, since a re-stamped write may now lose to one it used to beat.
 *
 * A bundle above the bound that is not queued (set aside as refused) keeps its HLC; it is local
 * only, and may keep beating later writes on this device until the app discards it.
 */

/** Queued bundles whose HLC is past `?` (an ISO prefix), in outbox (commit) order. */
const QUEUED_PAST = `SELECT b.id, b.first_event, b.last_event FROM outbox o JOIN bundles b ON b.id = o.bundle
WHERE b.hlc >= ? ORDER BY o.seq`
/** The greatest HLC in the log before `?` (an ISO prefix). A scan: re-stamping is rare. */
const LATEST_BEFORE = 'SELECT max(hlc) AS hlc FROM events WHERE hlc < ?'
const EVENTS_OF = 'SELECT seq FROM events WHERE seq BETWEEN ? AND ? ORDER BY seq'
const SET_EVENT_HLC = 'UPDATE events SET hlc = ? WHERE seq = ?'
const SET_BUNDLE_HLC = 'UPDATE bundles SET hlc = ? WHERE id = ?'
const SET_STATE =
  'INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'

export interface Restamped {
  /** Ids of the bundles that got new HLCs (in outbox order). */
  bundles: string[]
  /** Types whose typed rows were recomputed (empty when nothing was re-stamped). */
  types: Set<string>
}

/**
 * Re-stamps every queued bundle whose HLC is past `boundMs` (epoch ms), in one transaction. The
 * caller vouches that the server holds no bundle of this device past `boundMs`.
 */
export const restampPast = (store: Store, boundMs: number): Restamped => {
  // HLCs sort by their ISO prefix: everything from the next millisecond on is past the bound.
  const past = new Date(Math.floor(boundMs) + 1).toISOString()
  const clock = store.clock
  const before = clock.last
  try {
    return store.sql.transaction(() => {
      const queued = store.sql.all<{ id: string; first_event: number; last_event: number }>(
        QUEUED_PAST,
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
