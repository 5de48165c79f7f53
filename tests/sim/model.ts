import type { StoredBundle } from './server.js'

/** One register's winner: the event that set it last. */
export interface Winner {
  event: string
  hlc: string
  value: string
}

/** The reference state: register key (`type/entity/attribute`) → winner. */
export type ModelState = Map<string, Winner>

/** Two different events with one HLC: the total order of invariant 2 is broken. */
export interface Tie {
  register: string
  hlc: string
  events: [string, string]
}

/**
 * The reference model, written here on purpose instead of reusing the product's `wins()`: a
 * register's value is that of the event with the greatest HLC, HLCs compared as plain strings
 * (their text form sorts by time, then counter, then node). The fold visits events in any
 * order; a repeated event (same id) changes nothing. Two different events with the same HLC
 * cannot be ordered by invariant 2's rule at all: they are reported, not resolved.
 */
export const fold = (bundles: Iterable<StoredBundle>): { state: ModelState; ties: Tie[] } => {
  const state: ModelState = new Map()
  const ties: Tie[] = []
  for (const bundle of bundles)
    for (const e of bundle.events) {
      const register = `${e.type}/${e.entity}/${e.attribute}`
      const held = state.get(register)
      const candidate = { event: e.id, hlc: e.hlc, value: JSON.stringify(e.value) }
      if (!held || e.hlc > held.hlc) state.set(register, candidate)
      else if (e.hlc === held.hlc && e.id !== held.event)
        ties.push({ register, hlc: e.hlc, events: [held.event, e.id] })
    }
  return { state, ties }
}

/** A register's winner as a replica shows it (from the client's register dump). */
export interface ReplicaRegister {
  type: string
  entity: string
  attribute: string
  event: string
  hlc: string
}

/**
 * Where a replica's registers differ from the model: registers missing, extra, or won by
 * another event. Empty when they agree. A tied register (reported as such) has no winner the
 * model could name: any of the tied events is accepted.
 */
export const differences = (
  model: ModelState,
  replica: readonly ReplicaRegister[],
  ties: readonly Tie[] = [],
): string[] => {
  const out: string[] = []
  const seen = new Set<string>()
  const tied = new Map<string, Set<string>>()
  for (const t of ties)
    for (const e of t.events) tied.set(t.register, (tied.get(t.register) ?? new Set()).add(e))
  for (const r of replica) {
    const register = `${r.type}/${r.entity}/${r.attribute}`
    seen.add(register)
    const want = model.get(register)
    if (tied.get(register)?.has(r.event)) continue
    if (!want) out.push(`${register}: not in the model (event ${r.event})`)
    else if (want.event !== r.event || want.hlc !== r.hlc)
      out.push(`${register}: ${r.event}@${r.hlc}, model ${want.event}@${want.hlc}`)
  }
  for (const [register, want] of model)
    if (!seen.has(register)) out.push(`${register}: missing (model ${want.event}@${want.hlc})`)
  return out
}
