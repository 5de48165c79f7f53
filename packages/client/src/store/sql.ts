/**
 * The hot SQL, written once and prepared once (see DESIGN.md §4: a query built per event
 * costs ≈ 47 µs, a cached statement a small fraction of that). Named like the prototype's.
 */

/**
 * A bundle with the `seq` range its events were given (`first_event`..`last_event`): its
 * events are found by that range, so the log needs no index by bundle.
 */
export const INSERT_BUNDLE =
  'INSERT INTO bundles (id, client, hlc, local, acknowledged, first_event, last_event, space) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING'

/** Ends a bundle's range early: its last events were already logged under another bundle. */
export const SET_LAST_EVENT = 'UPDATE bundles SET last_event = ? WHERE id = ?'

/** The greatest `seq` of the log (0 when empty): the next bundle's events go after it. */
export const LAST_EVENT_SEQ = 'SELECT coalesce(max(seq), 0) AS seq FROM events'

/**
 * Dedupe by event id: a second delivery changes nothing (`changes = 0`). `seq` is given, not
 * allocated: the bundle's first `seq` plus the event's index in the bundle.
 */
export const INSERT_EVENT =
  'INSERT INTO events (seq, id, type, entity, attribute, value, hlc) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING'

/**
 * Last-writer-wins in SQL: the register moves only to a greater (hlc, event id), the same rule as
 * `wins()` in the protocol. A register holds its winner's `seq`; a contested one compares the
 * two events' (hlc, id) read from the log by `seq`. `changes = 0` means the event lost and
 * nothing else needs updating. (`seq` is the event's, logged just before.)
 */
const LWW = `ON CONFLICT (type, entity, attribute) DO UPDATE SET seq = excluded.seq
WHERE (SELECT w.hlc, w.id FROM events w WHERE w.seq = excluded.seq) >
  (SELECT h.hlc, h.id FROM events h WHERE h.seq = attributes.seq)`

export const UPSERT_ATTRIBUTE = `INSERT INTO attributes (type, entity, attribute, seq) VALUES (?, ?, ?, ?)
${LWW}`

/** Parameters of one logged event: `seq`, id, type, entity, attribute, value, hlc (`client` is read from the HLC). */
export const EVENT_WIDTH = 7

/** Events per multi-row statement on the hot paths (7 parameters each, well under SQLite's 32,766). */
export const BLOCK = 64

const rows = (count: number, width: number): string =>
  Array.from({ length: count }, () => `(${Array(width).fill('?').join(', ')})`).join(', ')

const insertEvents = new Map<number, string>()

/** `INSERT_EVENT` for `count` events in one statement (text built once per count). */
export const INSERT_EVENTS = (count: number): string => {
  let sql = insertEvents.get(count)
  if (!sql) {
    sql = `INSERT INTO events (seq, id, type, entity, attribute, value, hlc) VALUES ${rows(count, EVENT_WIDTH)} ON CONFLICT (id) DO NOTHING`
    insertEvents.set(count, sql)
  }
  return sql
}

/**
 * `UPSERT_ATTRIBUTE` for the events just logged as `seq` `?`..`?`, read back from the log
 * instead of bound again from JavaScript. Rows are applied in `seq` order (the bundle's), so two
 * events of one register in a block end as they would one statement at a time. (`WHERE` before
 * `ON CONFLICT` is required: it keeps SQLite's parser from reading the upsert as a join.)
 */
export const UPSERT_ATTRIBUTES_FROM_LOG = `INSERT INTO attributes (type, entity, attribute, seq)
SELECT type, entity, attribute, seq FROM events WHERE seq BETWEEN ? AND ? ORDER BY seq
${LWW}`

export const SAVEPOINT = 'SAVEPOINT tidings_block'
export const ROLLBACK_TO_SAVEPOINT = 'ROLLBACK TO tidings_block'
export const RELEASE_SAVEPOINT = 'RELEASE tidings_block'

export const QUEUE_OUTBOX = 'INSERT INTO outbox (bundle) VALUES (?) ON CONFLICT (bundle) DO NOTHING'
export const OUTBOX_PAGE = 'SELECT seq, bundle FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?'
export const OUTBOX_COUNT = 'SELECT count(*) AS n FROM outbox'
export const DEQUEUE_OUTBOX = 'DELETE FROM outbox WHERE bundle = ?'
export const ACKNOWLEDGE_BUNDLE = 'UPDATE bundles SET acknowledged = 1 WHERE id = ?'
/** A bundle's head; `space` is NULL for the private space (sent untagged, DESIGN §8). */
export const BUNDLE_BY_ID = 'SELECT id, client, hlc, space FROM bundles WHERE id = ?'
/** Each register with its winning event's value, HLC and id, by its `seq`. */
export const REGISTERS = `SELECT a.type, a.entity, a.attribute, e.value, e.hlc, e.id AS event
FROM attributes a JOIN events e ON e.seq = a.seq`

/**
 * The events a bundle logged, in their order in the bundle, by its `seq` range (a primary-key
 * search); `position` is the event's index in the bundle (its `seq` was the range's first plus it).
 */
export const BUNDLE_EVENTS = `SELECT e.seq - b.first_event AS position, e.id, e.type, e.entity, e.attribute, e.value, e.hlc, e.client
FROM bundles b JOIN events e ON e.seq BETWEEN b.first_event AND b.last_event WHERE b.id = ? ORDER BY e.seq`

/** The bundle's events that another bundle logged first, by position (see known-events.ts). */
export const BUNDLE_KNOWN_EVENTS = `SELECT k.position, e.id, e.type, e.entity, e.attribute, e.value, e.hlc, e.client
FROM known_events k JOIN events e ON e.id = k.event WHERE k.bundle = ? ORDER BY k.position`

/** Records that the event at `position` of a bundle was already in the log. */
export const INSERT_KNOWN_EVENT =
  'INSERT INTO known_events (bundle, position, event) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'
export const ALL_BUNDLE_IDS = 'SELECT id FROM bundles'
export const CLIENT_BUNDLE_IDS = 'SELECT id FROM bundles WHERE client = ?'

export const GET_STATE = 'SELECT value FROM sync_state WHERE key = ?'
export const SET_STATE =
  'INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'

/** The shared space of an entity (no row: the private space). */
export const ENTITY_SPACE = 'SELECT space FROM entity_spaces WHERE entity = ?'
