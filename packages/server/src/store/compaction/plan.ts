import { type Event, formatHlc, type Hlc, type Stamp, wins } from '@tidings/protocol'

/**
 * What compaction decides, as pure functions over events (the store reads and writes the
 * rows; see `compact.ts`). Why dropping is safe: an event is dropped only when another event of
 * the same register (entity, attribute) wins over it (protocol `wins`) and is still stored.
 * The greatest event of a register is therefore never dropped, by this run or any later one
 * (nothing beats it), so every dropped event stays dominated by a stored one. A device folds
 * the events it holds: whatever part of the full log it pulled before a compaction, it pulls
 * the stored winners after it, so its state equals the fold of the full log (invariant 1). A
 * late write below the winner loses as it always did; a tombstone is never dropped, so no
 * write made before a delete can bring the entity back.
 */

/** The attribute that tombstones an entity (DESIGN §5): `deleted`, true once deleted. */
export const TOMBSTONE = 'deleted'

/** A register's key: entity ids are unique across types and spaces. */
export const registerKey = (event: Pick<Event, 'entity' | 'attribute'>): string =>
  `${event.entity}\u0000${event.attribute}`

/** The winning stamp of every register, learnt event by event. */
export class Winners {
  private readonly best = new Map<string, Stamp>()

  add(event: Event): void {
    const key = registerKey(event)
    const stamp = { hlc: event.hlc, id: event.id }
    if (wins(stamp, this.best.get(key))) this.best.set(key, stamp)
  }

  addAll(events: readonly Event[]): void {
    for (const event of events) this.add(event)
  }

  /** Whether another stored event of the same register beats this one. */
  superseded(event: Event): boolean {
    const best = this.best.get(registerKey(event))
    return best !== undefined && best.id !== event.id && wins(best, event)
  }

  get size(): number {
    return this.best.size
  }
}

/** A delete, which compaction keeps whatever beats it (see above). */
export const isTombstone = (event: Event): boolean =>
  event.attribute === TOMBSTONE && event.value === true

/**
 * The events of one bundle that compaction keeps: all of them when the bundle is not wholly
 * below the horizon (its HLC is its greatest event's), else every event that is not superseded,
 * and every tombstone. A part of a bigger transaction keeps at least its latest event: devices
 * hold parts aside until every part came, so a part must never vanish from pulls.
 */
export const keptEvents = (
  bundle: { hlc: Hlc; events: readonly Event[]; part: boolean },
  horizon: Hlc,
  winners: Winners,
): Event[] => {
  if (bundle.hlc >= horizon) return [...bundle.events]
  const kept = bundle.events.filter((e) => isTombstone(e) || !winners.superseded(e))
  if (kept.length > 0 || !bundle.part || bundle.events.length === 0) return kept
  return [bundle.events.reduce((a, b) => (b.hlc > a.hlc ? b : a))]
}

/** The greatest HLC of a bundle's events: a compacted bundle's HLC (the wire schema's rule). */
export const latestHlc = (events: readonly Event[]): Hlc => {
  let latest = ''
  for (const e of events) if (e.hlc > latest) latest = e.hlc
  return latest
}

/**
 * The horizon for "older than `ms` milliseconds": an HLC that sorts before every HLC of the
 * millisecond `now - ms` (counter 0, and `-`, the lowest character a node id may hold).
 */
export const horizonBefore = (now: number, ms: number): Hlc =>
  formatHlc({ ms: Math.max(0, now - ms), counter: 0, node: '-' })
