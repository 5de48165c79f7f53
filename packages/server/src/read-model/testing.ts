import { type Event, type JsonValue, wins } from '@tidings/protocol'
import type { Family } from '../store/dialects/family.js'
import { type AnyDb, run } from './sql.js'

/**
 * Helpers for the read model's tests: what the tables hold, canonically, and what they should
 * hold by the specification of convergence (DESIGN §2.1, the same fold as
 * `tests/support/reference-model.ts`): per register, the value of the event that `wins`.
 */

export interface RegisterState {
  key: string
  value: JsonValue
  hlc: string
  event: string
}

/** Every register of `space`, sorted by `type/id/attribute`. */
export const registersOf = async (
  db: AnyDb,
  family: Family,
  space: string,
): Promise<RegisterState[]> =>
  (
    await run<{
      type: string
      id: string
      attribute: string
      value: string
      hlc: string
      event: string
    }>(
      db,
      family,
      'SELECT type, id, attribute, value, hlc, event FROM read_model_registers WHERE space = ? ORDER BY type, id, attribute',
      [space],
    )
  ).map((r) => ({
    key: `${r.type}/${r.id}/${r.attribute}`,
    value: JSON.parse(r.value),
    hlc: r.hlc,
    event: r.event,
  }))

export interface EntityState {
  key: string
  data: Record<string, JsonValue>
  deleted: boolean
  hlc: string
}

/** Every entity row of `space`, sorted by `type/id`; `data` parsed, `deleted` a boolean. */
export const entitiesOf = async (
  db: AnyDb,
  family: Family,
  space: string,
): Promise<EntityState[]> =>
  (
    await run<{ type: string; id: string; data: unknown; deleted: unknown; hlc: string }>(
      db,
      family,
      'SELECT type, id, data, deleted, hlc FROM read_model_entities WHERE space = ? ORDER BY type, id',
      [space],
    )
  ).map((r) => ({
    key: `${r.type}/${r.id}`,
    data: (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as Record<string, JsonValue>,
    deleted: Boolean(r.deleted),
    hlc: r.hlc,
  }))

/** The registers and entities a set of events (any order, duplicates) must give. */
export const expectedOf = (
  events: readonly Event[],
): { registers: RegisterState[]; entities: EntityState[] } => {
  const winners = new Map<string, Event>()
  for (const e of events) {
    const key = `${e.type}/${e.entity}/${e.attribute}`
    if (wins(e, winners.get(key))) winners.set(key, e)
  }
  const keys = [...winners.keys()].sort()
  const registers = keys.map((key) => {
    const e = winners.get(key)!
    return { key, value: e.value, hlc: e.hlc, event: e.id }
  })
  const byEntity = new Map<string, Event[]>()
  for (const key of keys) {
    const e = winners.get(key)!
    const k = `${e.type}/${e.entity}`
    byEntity.set(k, [...(byEntity.get(k) ?? []), e])
  }
  // Written out again rather than calling `entityRow`, so the test does not check the code by itself.
  const entities = [...byEntity.keys()].sort().map((key) => {
    const writes = byEntity.get(key)!
    const data: Record<string, JsonValue> = {}
    for (const e of writes)
      if (e.attribute !== 'deleted' && e.value !== null) data[e.attribute] = e.value
    const deleted = writes.some((e) => e.attribute === 'deleted' && e.value === true)
    const hlc =
      writes
        .map((e) => e.hlc)
        .sort()
        .at(-1) ?? ''
    return { key, data, deleted, hlc }
  })
  return { registers, entities }
}
