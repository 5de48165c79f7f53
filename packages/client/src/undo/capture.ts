import type { Event, JsonValue } from '@tidings/protocol'
import type { StatementCache } from '../driver/sqlite.js'
import type { Op } from '../store/store.js'
import type { Change } from './undo-stack.js'

/** The winning event of one register: its id and (JSON) value. */
const WINNER = `SELECT e.id, e.value FROM attributes a JOIN events e ON e.seq = a.seq
WHERE a.type = ? AND a.entity = ? AND a.attribute = ?`

export const DELETED = 'deleted'

/** The current winner of a register, or undefined when nothing was ever written there. */
export const winnerOf = (
  sql: StatementCache,
  type: string,
  entity: string,
  attribute: string,
): { id: string; value: JsonValue } | undefined => {
  const row = sql.one<{ id: string; value: string }>(WINNER, [type, entity, attribute])
  return row && { id: row.id, value: JSON.parse(row.value) as JsonValue }
}

/** Entities a transaction created, by type then id (no key string built per write). */
export type Created = ReadonlyMap<string, ReadonlySet<string>>

/** A transaction's changes before its commit: owners are filled in from the stamped events. */
export interface Captured {
  changes: Change[]
  /** For each change, the index in the transaction's ops of the last op writing its register. */
  lastOp: number[]
}

/**
 * Reads, just before a local transaction commits, what undoing it must restore: for each
 * register it writes (once, however often it writes it), the value before (the winner now) and
 * after (its last write). An entity the transaction created had no value before: its attributes
 * are kept out (nothing to read, nothing to restore: a bulk create reads nothing) and its
 * `deleted` flag counts as true before, so undoing the create deletes it and redoing it brings
 * it back with whatever its attributes hold by then.
 */
export const captureChanges = (
  sql: StatementCache,
  ops: readonly Op[],
  created: Created,
): Captured => {
  const changes: Change[] = []
  const lastOp: number[] = []
  // Registers seen, by type, entity, attribute: the index of their change.
  const seen = new Map<string, Map<string, Map<string, number>>>()
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!
    const isNew = created.get(op.type)?.has(op.entity) === true
    if (isNew && op.attribute !== DELETED) continue
    let entities = seen.get(op.type)
    if (!entities) {
      entities = new Map()
      seen.set(op.type, entities)
    }
    let attributes = entities.get(op.entity)
    if (!attributes) {
      attributes = new Map()
      entities.set(op.entity, attributes)
    }
    const index = attributes.get(op.attribute)
    if (index !== undefined) {
      changes[index]!.v = op.value
      lastOp[index] = i
      continue
    }
    attributes.set(op.attribute, changes.length)
    lastOp.push(i)
    const winner = isNew ? undefined : winnerOf(sql, op.type, op.entity, op.attribute)
    changes.push({
      t: op.type,
      e: op.entity,
      a: op.attribute,
      b: before(op, isNew, winner?.value),
      v: op.value,
      o: null,
      p: winner?.id ?? '',
    })
  }
  // A created entity whose transaction wrote no `deleted` flag: its register must stay empty.
  for (const [type, ids] of created)
    for (const id of ids)
      if (seen.get(type)?.get(id)?.has(DELETED) !== true) {
        changes.push({ t: type, e: id, a: DELETED, b: true, v: false, o: '', p: '' })
        lastOp.push(-1)
      }
  return { changes, lastOp }
}

/** The value before the transaction; a register never written reads as null (cleared). */
const before = (op: Op, isNew: boolean, winner: JsonValue | undefined): JsonValue => {
  if (isNew) return true // only `deleted` of a created entity gets here: it did not exist
  if (winner !== undefined) return winner
  return op.attribute === DELETED ? false : null
}

/** Fills in each change's owner: the stamped event of its last op. */
export const ownersFrom = (captured: Captured, events: readonly Event[]): Change[] => {
  const { changes, lastOp } = captured
  for (let i = 0; i < changes.length; i++) {
    const op = lastOp[i]!
    if (op >= 0) changes[i]!.o = events[op]!.id
    else changes[i]!.o = ''
  }
  return changes
}
