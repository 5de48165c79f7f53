import { type Kysely, type Migration, sql } from 'kysely'

/**
 * Migration `0006_known_events`: the events of a bundle that were already in the log when the
 * bundle arrived (a pulled bundle repeating events another bundle brought first), by their
 * position in the bundle. The log keeps one row per event id and a bundle's range covers only
 * the events it logged, so without this `bundle()` rebuilt such a bundle short, and a resend
 * (verify re-pushing what the server lacks, a refused bundle copied aside) carried other
 * content than the original under the same bundle id. Written only on the slow path that
 * finds a duplicate; a bundle of new events (every local one) adds no row. Frozen once shipped.
 */
export const knownEvents: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('known_events')
      .ifNotExists()
      .addColumn('bundle', 'text', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('known_events_pk', ['bundle', 'position'])
      .modifyEnd(sql`without rowid`)
      .execute()
  },
}

/**
 * A bundle's events in bundle order: those it logged (by `seq`, so by position) merged with
 * those it found already logged (by position). Both lists are sorted; the second is almost
 * always empty.
 */
export const mergeByPosition = <T extends { position: number }>(
  logged: readonly T[],
  known: readonly T[],
): T[] => {
  if (known.length === 0) return [...logged]
  const out: T[] = []
  let i = 0
  let j = 0
  while (i < logged.length || j < known.length) {
    const next =
      j >= known.length || (i < logged.length && logged[i]!.position < known[j]!.position)
        ? logged[i++]!
        : known[j++]!
    out.push(next)
  }
  return out
}
