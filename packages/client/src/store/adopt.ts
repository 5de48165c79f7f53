import type { Bundle, Hlc } from '@tidings/protocol'
import * as Q from './sql.js'
import type { Store } from './store.js'

/**
 * Adopting the server's stamps of an own bundle: the one case where this device holds a bundle
 * of its own under an id the server holds with other content.
 *
 * How it happens: a bundle refused as `clock_drift` is re-stamped in place (same bundle and
 * event ids, new HLCs: `restamp.ts`) and stored by the server. If the device's database then
 * rolls back to a copy taken before that re-stamp, it holds the bundle again with its first
 * stamps, queued; pushing it is refused as drift again, it is re-stamped again (other HLCs),
 * and the server refuses that as `conflict`: it already holds the bundle, stamped otherwise.
 * Every other replica has the server's version, so this device takes it: the same events (ids,
 * entities, attributes, values), only their HLCs differ, and the server's are the ones that
 * count (invariant 1: one id, one content everywhere). The bundle is then acknowledged.
 *
 * Anything else under a taken id (other events, another client's bundle) is not a re-stamp and
 * is not adopted: the caller refuses it for good as before.
 */

const LOCAL_BUNDLE = 'SELECT client, acknowledged FROM bundles WHERE id = ? AND local = 1'
const SET_EVENT_HLC = 'UPDATE events SET hlc = ? WHERE id = ?'
const SET_BUNDLE_HLC = 'UPDATE bundles SET hlc = ? WHERE id = ?'

/** Whether two versions of a bundle hold the same writes, their HLCs aside. */
export const sameButStamps = (local: Bundle, server: Bundle): boolean =>
  local.id === server.id &&
  local.client === server.client &&
  local.events.length === server.events.length &&
  local.events.every((e, i) => {
    const s = server.events[i]!
    return (
      e.id === s.id &&
      e.type === s.type &&
      e.entity === s.entity &&
      e.attribute === s.attribute &&
      JSON.stringify(e.value) === JSON.stringify(s.value)
    )
  })

/**
 * Rewrites the HLCs of this device's own bundle `server.id` to the server's version, marks it
 * acknowledged and takes it out of the outbox, in one transaction; registers and typed rows
 * are recomputed from the log (the new stamps may change winners). Returns the types whose rows
 * were recomputed, or null when the server's version is not the same writes stamped otherwise.
 */
export const adoptStamps = (store: Store, server: Bundle): Set<string> | null => {
  const row = store.sql.one<{ client: string; acknowledged: number }>(LOCAL_BUNDLE, [server.id])
  const local = store.bundle(server.id)
  if (!row || !local || row.client !== store.clientId || !sameButStamps(local, server)) return null
  return store.sql.transaction(() => {
    for (const event of server.events) {
      // The clock moves past every adopted stamp: they are this client's, held by the server.
      store.clock.receive(event.hlc as Hlc)
      store.sql.run(SET_EVENT_HLC, [event.hlc, event.id])
    }
    store.sql.run(SET_BUNDLE_HLC, [server.hlc, server.id])
    store.acknowledge([server.id])
    store.dequeue([server.id])
    store.sql.run(Q.SET_STATE, ['last_hlc', store.clock.last ?? server.hlc])
    return store.rebuildInTransaction()
  })
}
