import { type JsonValue, wins } from '@tidings/protocol'
import { rowToObject } from '../api/objects.js'
import type { SqlRow } from '../driver/sqlite.js'
import type { AnyAttr } from '../schema/attr.js'
import { toColumn } from '../schema/codec.js'
import { readAs, UNREADABLE } from '../schema/convert.js'
import type { Store } from '../store/store.js'
import type { ValueReader } from './decode-value.js'

type Shape = Readonly<Record<string, AnyAttr>>

interface LoggedEvent {
  id: string
  attribute: string
  value: string
  hlc: string
}

/** All of one entity's events: one scan of the log (it has no index by entity, see log-reader). */
const ENTITY_EVENTS = 'SELECT id, attribute, value, hlc FROM events WHERE type = ? AND entity = ?'

/**
 * `asOf(bound).get(type, id)`: one entity as it was, from one read of its events. When none is
 * stamped after the bound (the common case) its typed row now is its row then. Otherwise it is
 * folded again (`foldRow`), decoded like `get`.
 */
export const entityAsOf = (
  store: Store,
  values: ValueReader,
  type: string,
  id: string,
  bound: string,
): Record<string, unknown> | null => {
  const shape = store.schema.shape(type) as Shape
  const events = store.sql.all<LoggedEvent>(ENTITY_EVENTS, [type, id])
  if (!events.some((e) => e.hlc > bound)) {
    const row = store.row(type, id)
    return row && Number(row.deleted) === 0 ? rowToObject(shape, row) : null
  }
  const row = foldRow(shape, values, type, bound, events)
  if (!row || Number(row.deleted) !== 0) return null
  return rowToObject(shape, { ...row, id, space: store.spaceOf(id) })
}

/**
 * One entity's typed row as it was at `bound` (without `id` and `space`), or undefined when
 * none of its events is stamped by then. Each attribute's last event at or before the bound
 * wins by `wins` (an earlier name of a renamed attribute counts for the attribute), and the
 * winners become columns the way the store projects them: `readAs` with the schema's declared
 * conversions, then `toColumn`. `get` and `fetch` of a view both fold with this, so their
 * answers are shaped exactly like the typed API's reads.
 */
export const foldRow = (
  shape: Shape,
  values: ValueReader,
  type: string,
  bound: string,
  events: readonly LoggedEvent[],
): SqlRow | undefined => {
  const winners = new Map<string, LoggedEvent>()
  for (const e of events) {
    if (e.hlc > bound) continue
    const attribute = values.current(type, e.attribute)
    if (attribute !== 'deleted' && !Object.hasOwn(shape, attribute)) continue
    if (wins(e, winners.get(attribute))) winners.set(attribute, e)
  }
  if (winners.size === 0) return undefined
  const row: SqlRow = { deleted: 0 }
  for (const [attribute, e] of winners) {
    const value = JSON.parse(e.value) as JsonValue
    if (attribute === 'deleted') row.deleted = value === true ? 1 : 0
    else {
      const attr = shape[attribute]!
      const read = readAs(attr, value)
      row[attribute] = read === UNREADABLE ? null : toColumn(attr.kind, read)
    }
  }
  return row
}

/** The events of every entity of `type` with one stamped after the bound: one pass of the log. */
const CHANGED_EVENTS = `SELECT entity, id, attribute, value, hlc FROM events
WHERE type = ? AND entity IN (SELECT entity FROM events WHERE type = ? AND hlc > ?)`

/**
 * The entities of `type` written after `bound`, folded again as they were then (`foldRow`):
 * `changed` lists them all, `rows` those that existed by then as `[id, deleted, ...columns]`
 * in the shape's attribute order (absent attributes null), for `asOfTable`.
 */
export const foldChanged = (
  store: Store,
  values: ValueReader,
  type: string,
  bound: string,
): { changed: string[]; rows: unknown[][] } => {
  const shape = store.schema.shape(type) as Shape
  const byEntity = new Map<string, LoggedEvent[]>()
  for (const e of store.sql.all<LoggedEvent & { entity: string }>(CHANGED_EVENTS, [
    type,
    type,
    bound,
  ])) {
    const list = byEntity.get(e.entity)
    if (list) list.push(e)
    else byEntity.set(e.entity, [e])
  }
  const attributes = Object.keys(shape)
  const rows: unknown[][] = []
  for (const [entity, events] of byEntity) {
    const row = foldRow(shape, values, type, bound, events)
    if (row) rows.push([entity, row.deleted, ...attributes.map((a) => row[a] ?? null)])
  }
  return { changed: [...byEntity.keys()], rows }
}
