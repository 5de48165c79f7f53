import type { Event } from '@tidings/protocol'
import type { TypedTables } from './typed.js'

/** An entity's new winners: attribute, value, attribute, value, … (each attribute once). */
interface TypedRow {
  entity: string
  pairs: unknown[]
}

/**
 * The registers that moved in one SQLite transaction, kept until its typed rows are written
 * once at its end: a page of ten pulled bundles writes each touched entity's row once, in
 * blocks of shared statements, instead of once per bundle. Keyed by type, then entity, so no
 * key string is built per event.
 */
export class Winners {
  private readonly byType = new Map<string, Map<string, TypedRow>>()

  /** Records that `e` won its register. Events arrive in `seq` order: a later winner replaces. */
  moved(e: Event): void {
    let entities = this.byType.get(e.type)
    if (!entities) {
      entities = new Map()
      this.byType.set(e.type, entities)
    }
    const row = entities.get(e.entity)
    if (!row) {
      entities.set(e.entity, { entity: e.entity, pairs: [e.attribute, e.value] })
      return
    }
    const pairs = row.pairs
    for (let i = 0; i < pairs.length; i += 2) {
      if (pairs[i] === e.attribute) {
        pairs[i + 1] = e.value
        return
      }
    }
    pairs.push(e.attribute, e.value)
  }

  /** Writes every touched typed row, adding each type whose rows moved to `types`. */
  writeTo(typed: TypedTables, types: Set<string>): void {
    for (const [type, entities] of this.byType)
      typed.materializeRows(type, entities.values(), types)
    this.byType.clear()
  }
}
