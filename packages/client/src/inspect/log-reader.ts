import type { JsonValue } from '@tidings/protocol'
import type { StatementCache } from '../driver/sqlite.js'
import { decodeHlc } from './hlc.js'
import type { EventPage, EventQuery, HistoryStep, InspectedEvent, OutboxPage } from './types.js'

const MAX_LIMIT = 1_000

/**
 * The log as the inspector reads it. Not a hot path, and on purpose not indexed for it: the log
 * has no index by entity (every write would pay for one), so a filter by entity scans the
 * events table, and each event finds its bundle among the bundles' `seq` ranges. Both are fine
 * for a developer's tool on a device's data; neither is ever run by sync or by the app.
 */
const EVENT_COLUMNS = `e.seq, e.id, e.type, e.entity, e.attribute, e.value, e.hlc,
  b.id AS bundle, b.local, b.acknowledged,
  (SELECT s.space FROM entity_spaces s WHERE s.entity = e.entity) AS space,
  EXISTS (SELECT 1 FROM attributes a WHERE a.type = e.type AND a.entity = e.entity
    AND a.attribute = e.attribute AND a.seq = e.seq) AS wins`
/** Each event with the bundle whose `seq` range holds it. */
const EVENTS_WITH_BUNDLES =
  'events e LEFT JOIN bundles b ON e.seq BETWEEN b.first_event AND b.last_event'

interface EventRow {
  seq: number
  id: string
  type: string
  entity: string
  attribute: string
  value: string
  hlc: string
  bundle: string | null
  local: number | null
  acknowledged: number | null
  space: string | null
  wins: number
}

const toEvent = (row: EventRow): InspectedEvent => ({
  seq: Number(row.seq),
  id: row.id,
  type: row.type,
  entity: row.entity,
  attribute: row.attribute,
  value: JSON.parse(row.value) as JsonValue,
  hlc: decodeHlc(row.hlc),
  bundle: row.bundle ?? '',
  wins: Number(row.wins) === 1,
  local: Number(row.local) === 1,
  acknowledged: Number(row.acknowledged) === 1,
  space: row.space,
})

/** Events newest first (by log position), filtered and paged as `query` says. */
export const readEvents = (sql: StatementCache, query: EventQuery = {}): EventPage => {
  const limit = Math.max(1, Math.min(MAX_LIMIT, Math.floor(query.limit ?? 100)))
  const where: string[] = []
  const params: unknown[] = []
  if (query.type !== undefined) {
    where.push('e.type = ?')
    params.push(query.type)
  }
  if (query.id !== undefined) {
    where.push('e.entity = ?')
    params.push(query.id)
  }
  if (query.before !== undefined) {
    where.push('e.seq < ?')
    params.push(query.before)
  }
  const filter = where.length ? `WHERE ${where.join(' AND ')}` : ''
  // One more than asked: whether a next page exists, without counting the log.
  const rows = sql.all<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM ${EVENTS_WITH_BUNDLES} ${filter} ORDER BY e.seq DESC LIMIT ?`,
    [...params, limit + 1],
  )
  const events = rows.slice(0, limit).map(toEvent)
  const next = rows.length > limit ? events[events.length - 1]!.seq : null
  return { events, next }
}

/**
 * An entity's history: its events in clock order (the order last-writer-wins decides by), the
 * events of one bundle in a row making one step, and the state after each step. Two devices'
 * concurrent transactions whose HLCs interleave show as more steps than bundles: that is the
 * order the clock gives them, and the state shown after each is what a replica holding exactly
 * those events would show.
 */
export const readHistory = (sql: StatementCache, type: string, id: string): HistoryStep[] => {
  const steps: HistoryStep[] = []
  const state: Record<string, JsonValue> = {}
  let step: HistoryStep | null = null
  for (const event of entityEvents(sql, type, id)) {
    state[event.attribute] = event.value
    if (!step || step.bundle !== event.bundle) {
      step = {
        hlc: event.hlc,
        bundle: event.bundle,
        local: event.local,
        acknowledged: event.acknowledged,
        changed: {},
        state: {},
      }
      steps.push(step)
    }
    step.changed[event.attribute] = event.value
    step.state = { ...state }
  }
  return steps
}

/**
 * An entity's events in clock order (HLC, then id: the order last-writer-wins decides by), only
 * those of `attributes` when given. Shared by the inspector and `client.history`.
 */
export const entityEvents = (
  sql: StatementCache,
  type: string,
  id: string,
  attributes?: readonly string[],
): InspectedEvent[] => {
  const only = attributes ? ` AND e.attribute IN (${attributes.map(() => '?').join(', ')})` : ''
  const rows = sql.all<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM ${EVENTS_WITH_BUNDLES} WHERE e.type = ? AND e.entity = ?${only} ORDER BY e.hlc, e.id`,
    [type, id, ...(attributes ?? [])],
  )
  return rows.map(toEvent)
}

interface OutboxRow {
  seq: number
  bundle: string
  hlc: string
  space: string | null
  first_event: number
  last_event: number
}

/** The outbox, oldest first, each bundle with its first few events. */
export const readOutbox = (
  sql: StatementCache,
  options: { limit?: number; eventsPerBundle?: number } = {},
): OutboxPage => {
  const limit = Math.max(1, Math.min(MAX_LIMIT, Math.floor(options.limit ?? 100)))
  const perBundle = Math.max(0, Math.floor(options.eventsPerBundle ?? 20))
  const total = Number(sql.one<{ n: number }>('SELECT count(*) AS n FROM outbox')?.n ?? 0)
  const rows = sql.all<OutboxRow>(
    `SELECT o.seq, o.bundle, b.hlc, b.space, b.first_event, b.last_event
     FROM outbox o JOIN bundles b ON b.id = o.bundle ORDER BY o.seq LIMIT ?`,
    [limit],
  )
  const entries = rows.map((row) => {
    const events = sql.all<{ type: string; entity: string; attribute: string; value: string }>(
      'SELECT type, entity, attribute, value FROM events WHERE seq BETWEEN ? AND ? ORDER BY seq LIMIT ?',
      [row.first_event, row.last_event, perBundle],
    )
    return {
      position: Number(row.seq),
      bundle: row.bundle,
      hlc: decodeHlc(row.hlc),
      space: row.space,
      eventCount: Math.max(0, Number(row.last_event) - Number(row.first_event) + 1),
      events: events.map((e) => ({ ...e, value: JSON.parse(e.value) as JsonValue })),
    }
  })
  return { total, entries }
}

/** How much the device holds: bundles, events and live entities per type. */
export const readCounts = (
  sql: StatementCache,
  tables: Record<string, string>,
): { bundles: number; events: number; entities: Record<string, number> } => {
  const count = (query: string) => Number(sql.one<{ n: number }>(query)?.n ?? 0)
  const entities: Record<string, number> = {}
  for (const [type, table] of Object.entries(tables))
    entities[type] = count(`SELECT count(*) AS n FROM ${table} WHERE deleted = 0`)
  return {
    bundles: count('SELECT count(*) AS n FROM bundles'),
    events: count('SELECT count(*) AS n FROM events'),
    entities,
  }
}
