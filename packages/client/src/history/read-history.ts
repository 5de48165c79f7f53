import { TidingsError } from '@tidings/protocol'
import { hlcParts } from '../inspect/hlc.js'
import { entityEvents } from '../inspect/log-reader.js'
import { namesOf } from '../store/renames.js'
import type { Store } from '../store/store.js'
import type { ValueReader } from './decode-value.js'
import { horizonOf } from './horizons.js'
import type { HistoryEvent, HistoryOptions, HistoryResult } from './types.js'

/**
 * `client.history(type, id)`: every event of one entity in the local log (written here or
 * pulled), in HLC order, decoded for people. The log is read as the inspector reads it
 * (`entityEvents`); this adds the typed values, the writer's user where known and the horizon
 * of the entity's space. Throws `bad_request` for a type or attribute the schema lacks.
 */
export const readEntityHistory = (
  store: Store,
  values: ValueReader,
  type: string,
  id: string,
  options: HistoryOptions = {},
): HistoryResult => {
  const shape = store.schema.shape(type)
  if (typeof id !== 'string') throw new TidingsError('bad_request', 'history: id must be a string')
  const { attribute } = options
  if (attribute !== undefined && attribute !== 'deleted' && !Object.hasOwn(shape, attribute))
    throw new TidingsError('bad_request', `${type}.${attribute} is not in the schema`)
  const names = attribute === undefined ? undefined : namesOf(store.schema, type, attribute)
  const user = store.privateSpace
  const events = entityEvents(store.sql, type, id, names).map((e): HistoryEvent => {
    const { time, counter, node } = hlcParts(e.hlc)
    const event: HistoryEvent = {
      id: e.id,
      attribute: e.attribute,
      value: values.read(type, e.attribute, e.value),
      raw: e.value,
      deleted: e.attribute === 'deleted' && e.value === true,
      wins: e.wins,
      hlc: e.hlc.text,
      time,
      counter,
      client: node,
      bundle: e.bundle,
      local: e.local,
    }
    // Only this user writes its private space; this device's own writes are this user's too.
    if (user !== undefined && (e.local || e.space === null)) event.user = user
    return event
  })
  const horizon = horizonOf(store.sql, store.spaceOf(id))
  return horizon === undefined ? { events } : { events, truncatedBefore: horizon }
}
