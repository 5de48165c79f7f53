import { type Bundle, type Event, type JsonValue, wins } from '@tidings/protocol'

/** `type -> entity -> attribute -> value`: what every replica must show for a set of events. */
export type ModelState = Map<string, Map<string, Map<string, JsonValue>>>

/** The winning event of each register, keyed by `JSON.stringify([type, entity, attribute])`. */
export type Winners = Map<string, Event>

export const registerWinners = (events: Iterable<Event>): Winners => {
  const winners: Winners = new Map()
  for (const event of events) {
    const key = JSON.stringify([event.type, event.entity, event.attribute])
    if (wins(event, winners.get(key))) winners.set(key, event)
  }
  return winners
}

/**
 * The specification of convergence (DESIGN.md §2.1), written as plainly as possible: for
 * every `(type, entity, attribute)`, the value of the event that `wins` over all others.
 * Order of the input does not matter; duplicates (same event id) are harmless.
 */
export const foldEvents = (events: Iterable<Event>): ModelState => {
  const state: ModelState = new Map()
  for (const event of registerWinners(events).values()) {
    const byEntity = state.get(event.type) ?? new Map<string, Map<string, JsonValue>>()
    state.set(event.type, byEntity)
    const attributes = byEntity.get(event.entity) ?? new Map<string, JsonValue>()
    byEntity.set(event.entity, attributes)
    attributes.set(event.attribute, event.value)
  }
  return state
}

export const eventsOf = (bundles: Iterable<Bundle>): Event[] =>
  [...bundles].flatMap((b) => b.events)

/**
 * Checks that each event id and each bundle id occurs exactly once; answers the duplicates
 * (empty when all is well).
 */
export const duplicates = (bundles: readonly Bundle[]): string[] => {
  const seen = new Set<string>()
  const dups: string[] = []
  for (const bundle of bundles) {
    if (seen.has(bundle.id)) dups.push(`bundle ${bundle.id}`)
    seen.add(bundle.id)
    for (const event of bundle.events) {
      if (seen.has(event.id)) dups.push(`event ${event.id}`)
      seen.add(event.id)
    }
  }
  return dups
}

/** A canonical text of a JSON value (object keys sorted), for byte-for-byte comparisons. */
export const canonical = (value: unknown): string => {
  if (value === undefined) return 'undefined'
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
}
