import type { Hlc } from './hlc.js'

/** What last-writer-wins compares: the write's HLC and, to break impossible ties, its id. */
export interface Stamp {
  hlc: Hlc
  id: string
}

/**
 * True when write `a` beats write `b` for the same register. HLCs are unique per event
 * (the node id is part of them), so the event-id tie-break only makes forged duplicates
 * deterministic. The same rule is written in SQL as `(hlc, event) > (old.hlc, old.event)`.
 */
export const wins = (a: Stamp, b: Stamp | null | undefined): boolean =>
  !b || a.hlc > b.hlc || (a.hlc === b.hlc && a.id > b.id)
