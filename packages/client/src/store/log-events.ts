import type { Event } from '@tidings/protocol'
import type { StatementCache } from '../driver/sqlite.js'
import * as Q from './sql.js'
import type { Winners } from './winners.js'

/** The greatest `seq` in the log; a bundle's events are numbered after it (see `INSERT_BUNDLE`). */
export const lastEventSeq = (sql: StatementCache): number =>
  Number(sql.one<{ seq: number }>(Q.LAST_EVENT_SEQ)?.seq ?? 0)

/**
 * Logs the events of `bundle`, whose row already claims `seq` `first`..`first + n - 1`, and
 * applies them (see `applyEvents`); the caller writes the typed rows of `winners` before its
 * transaction ends. When its last events were already in the log (under another
 * bundle), the bundle's range is ended at its last logged event: the next bundle is numbered
 * from the log's greatest `seq`, so no range may reach past it. Returns where the range ends.
 * Runs inside the caller's transaction.
 */
export const logEvents = (
  sql: StatementCache,
  bundle: string,
  first: number,
  events: readonly Event[],
  winners: Winners,
): number => {
  // An event already in the log keeps its row; the bundle remembers it by position, so the
  // bundle can be rebuilt whole (see known-events.ts).
  const known = (seq: number, e: Event) =>
    sql.run(Q.INSERT_KNOWN_EVENT, [bundle, seq - first, e.id])
  const logged = applyEvents(sql, first, events, winners, known)
  if (logged < first + events.length - 1) sql.run(Q.SET_LAST_EVENT, [logged, bundle])
  return logged
}

/**
 * Appends events to the log (dedupe by id) as `seq` `first`, `first + 1`, …, moves each
 * register the event wins (LWW in SQL) and records the new winners in `winners`.
 *
 * Events go in blocks of `Q.BLOCK` per multi-row statement (one statement call per block, not
 * two per event; a shorter rest in blocks of powers of two). The block's registers are then
 * upserted from the rows just logged, by their `seq` range. A block's statements report how
 * many rows they changed: when every event was new and moved its register (a created entity,
 * a first pull) that is the answer for each row. Otherwise (a duplicate, an event that lost)
 * the block is rolled back to its savepoint and applied event by event, which says exactly
 * which rows changed, and `known` hears of each event already logged. Returns the greatest
 * `seq` logged (`first - 1` when none was new).
 */
const applyEvents = (
  sql: StatementCache,
  first: number,
  events: readonly Event[],
  winners: Winners,
  known: (seq: number, e: Event) => void,
): number => {
  const moved = (e: Event) => winners.moved(e)
  let logged = first - 1
  for (let i = 0; i < events.length; ) {
    let size = Q.BLOCK
    while (size > events.length - i) size >>= 1
    if (size === 1) {
      if (applyEvent(sql, first + i, events[i]!, moved)) logged = first + i
      else known(first + i, events[i]!)
      i += 1
      continue
    }
    const params: unknown[] = new Array(size * Q.EVENT_WIDTH)
    for (let j = 0, k = 0; j < size; j++) {
      const e = events[i + j]!
      params[k++] = first + i + j
      params[k++] = e.id
      params[k++] = e.type
      params[k++] = e.entity
      params[k++] = e.attribute
      params[k++] = JSON.stringify(e.value)
      params[k++] = e.hlc
    }
    sql.run(Q.SAVEPOINT)
    if (
      sql.run(Q.INSERT_EVENTS(size), params) === size &&
      sql.run(Q.UPSERT_ATTRIBUTES_FROM_LOG, [first + i, first + i + size - 1]) === size
    ) {
      for (let j = i; j < i + size; j++) moved(events[j]!)
      logged = first + i + size - 1
    } else {
      sql.run(Q.ROLLBACK_TO_SAVEPOINT)
      for (let j = i; j < i + size; j++)
        if (applyEvent(sql, first + j, events[j]!, moved)) logged = first + j
        else known(first + j, events[j]!)
    }
    sql.run(Q.RELEASE_SAVEPOINT)
    i += size
  }
  return logged
}

/**
 * One event through the single-row statements; calls `moved` when it won its register.
 * Returns whether it was logged (false: its id was already in the log).
 */
const applyEvent = (
  sql: StatementCache,
  seq: number,
  e: Event,
  moved: (e: Event) => void,
): boolean => {
  const value = JSON.stringify(e.value)
  const params = [seq, e.id, e.type, e.entity, e.attribute, value, e.hlc]
  if (sql.run(Q.INSERT_EVENT, params) === 0) return false
  if (sql.run(Q.UPSERT_ATTRIBUTE, [e.type, e.entity, e.attribute, seq]) > 0) moved(e)
  return true
}
