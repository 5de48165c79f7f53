import { type JsonValue, wins } from '@tidings/protocol'
import { rowToObject } from '../api/objects.js'
import type { SqlRow } from '../driver/sqlite.js'
import type { AnyAttr } from '../schema/attr.js'
import { toColumn } from '../schema/codec.js'
import { readAs, UNREADABLE } from '../schema/convert.js'
import type { Store } from '../store/store.js'
import type { ValueReader } from './decode-value.js'

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
 * stamped after the bound (the common case) its typed row now is its row then. Otherwise each
 * attribute's last event at or before the bound wins by `wins` (an earlier name of a renamed
 * attribute counts for the attribute), and the winners become a typed row the way the store
 * projects them (`readAs` with the schema's conversions, `toColumn`), decoded like `get`.
 */
export const entityAsOf = (
  store: Store,
  values: ValueReader,
  type: string,
  id: string,
  bound: string,
): Record<string, unknown> | null => {
  const shape = store.schema.shape(type) as Readonly<Record<string, AnyAttr>>
  const events = store.sql.all<LoggedEvent>(ENTITY_EVENTS, [type, id])
  const row: SqlRow | undefined = events.some((e) => e.hlc > bound)
    ? foldRow(shape, values, type, id, bound, events, store.spaceOf(id))
    : store.row(type, id)
  return row && Number(row.deleted) === 0 ? rowToObject(shape, row) : null
}

const foldRow = (
  shape: Readonly<Record<string, AnyAttr>>,
  values: ValueReader,
  type: string,
  id: string,
  bound: string,
  events: readonly LoggedEvent[],
  space: string | null,
): SqlRow | undefined => {
  const winners = new Map<string, LoggedEvent>()
  for (const e of events) {
    if (e.hlc > bound) continue
    const attribute = values.current(type, e.attribute)
    if (attribute !== 'deleted' && !Object.hasOwn(shape, attribute)) continue
    if (wins(e, winners.get(attribute))) winners.set(attribute, e)
  }
  if (winners.size === 0) return undefined
  const row: SqlRow = { id, space, deleted: 0 }
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
