/**
 * The hot SQL, written once and prepared once (see DESIGN.md §4: a query built per event
 * costs ≈ 47 µs, a cached statement a small fraction of that). Named like the prototype's.
 */

export const INSERT_BUNDLE =
  'INSERT INTO bundles (id, client, hlc, local, acknowledged) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING'

/** Dedupe by event id: a second delivery changes nothing (`changes = 0`). */
export const INSERT_EVENT =
  'INSERT INTO events (id, bundle, type, entity, attribute, value, hlc, client) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING'

/**
 * Last-writer-wins in SQL: the register moves only to a greater (hlc, event id), the same rule as
 * `wins()` in the protocol. `changes = 0` means the event lost and nothing else needs updating.
 */
export const UPSERT_ATTRIBUTE = `INSERT INTO attributes (type, entity, attribute, value, hlc, event) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (type, entity, attribute) DO UPDATE SET value = excluded.value, hlc = excluded.hlc, event = excluded.event
WHERE excluded.hlc > attributes.hlc OR (excluded.hlc = attributes.hlc AND excluded.event > attributes.event)`

/** Events per multi-row statement on the hot paths (8 parameters each, well under SQLite's 32,766). */
export const BLOCK = 64

const rows = (count: number, width: number): string =>
  Array.from({ length: count }, () => `(${Array(width).fill('?').join(', ')})`).join(', ')

/** `INSERT_EVENT` for `BLOCK` events in one statement. */
export const INSERT_EVENTS = `INSERT INTO events (id, bundle, type, entity, attribute, value, hlc, client) VALUES ${rows(BLOCK, 8)} ON CONFLICT (id) DO NOTHING`

/**
 * `UPSERT_ATTRIBUTE` for `BLOCK` events in one statement. Rows are applied in order, so two
 * events of one register in a block end as they would one statement at a time.
 */
export const UPSERT_ATTRIBUTES = `INSERT INTO attributes (type, entity, attribute, value, hlc, event) VALUES ${rows(BLOCK, 6)}
ON CONFLICT (type, entity, attribute) DO UPDATE SET value = excluded.value, hlc = excluded.hlc, event = excluded.event
WHERE excluded.hlc > attributes.hlc OR (excluded.hlc = attributes.hlc AND excluded.event > attributes.event)`

export const SAVEPOINT = 'SAVEPOINT tidings_block'
export const ROLLBACK_TO_SAVEPOINT = 'ROLLBACK TO tidings_block'
export const RELEASE_SAVEPOINT = 'RELEASE tidings_block'

export const QUEUE_OUTBOX = 'INSERT INTO outbox (bundle) VALUES (?) ON CONFLICT (bundle) DO NOTHING'
export const OUTBOX_PAGE = 'SELECT seq, bundle FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?'
export const OUTBOX_COUNT = 'SELECT count(*) AS n FROM outbox'
export const DEQUEUE_OUTBOX = 'DELETE FROM outbox WHERE bundle = ?'
export const ACKNOWLEDGE_BUNDLE = 'UPDATE bundles SET acknowledged = 1 WHERE id = ?'
export const BUNDLE_BY_ID = 'SELECT id, client, hlc FROM bundles WHERE id = ?'
export const BUNDLE_EVENTS =
  'SELECT id, type, entity, attribute, value, hlc, client FROM events WHERE bundle = ? ORDER BY hlc'
export const ALL_BUNDLE_IDS = 'SELECT id FROM bundles'
export const CLIENT_BUNDLE_IDS = 'SELECT id FROM bundles WHERE client = ?'

export const GET_STATE = 'SELECT value FROM sync_state WHERE key = ?'
export const SET_STATE =
  'INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'
