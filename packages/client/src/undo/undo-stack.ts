import type { JsonValue } from '@tidings/protocol'
import type { StatementCache } from '../driver/sqlite.js'

/**
 * The undo and redo stacks in the client database (table `undo_entries`, migration
 * `0010_undo`), so both survive a restart. An entry is one local transaction: for each register
 * it wrote, the value before and after, and which event the entry "owns" there now (the
 * transaction's own event, then the compensating event of its undo, then of its redo). The
 * stale rule compares that owner with the register's current winner.
 */

/**
 * One register an entry wrote: `b` the value before, `v` after. Short keys: a bulk create
 * stores one per created entity (its `deleted` flag; see `capture.ts`).
 *
 * `o` is the event that holds the entry's current side in the register (after a write or redo:
 * the event that wrote `v`; after an undo: the event that wrote `b` back), and `p` the event
 * that held the other side. `''` names "no event": the register had no winner (the `deleted`
 * flag of a created entity that never wrote one). `o` null = no longer owned (found stale
 * once), so never written by this entry again.
 *
 * When an undo or redo writes a register with event X, every change of any entry that owned
 * the state X brings back (`o` = this change's `p`) owns X from then on: undoing the last of
 * two edits of a title gives the first edit its value back, and so its ownership, so that it
 * can be undone next.
 */
export interface Change {
  t: string
  e: string
  a: string
  b: JsonValue
  v: JsonValue
  o: string | null
  p: string
}

export type StackName = 'undo' | 'redo'

export interface Entry {
  seq: number
  space: string | null
  changes: Change[]
}

const PUSH = 'INSERT INTO undo_entries (stack, space, changes) VALUES (?, ?, ?)'
const TOP = 'SELECT seq, space, changes FROM undo_entries WHERE stack = ? ORDER BY seq DESC LIMIT 1'
/** Up to this many entities, entries are searched as text before any is parsed. */
const SEARCHED = 16
const ALL = 'SELECT seq, space, changes FROM undo_entries ORDER BY seq'
const UPDATE = 'UPDATE undo_entries SET changes = ? WHERE seq = ?'
const REMOVE = 'DELETE FROM undo_entries WHERE seq = ?'
const CLEAR = 'DELETE FROM undo_entries WHERE stack = ?'
/** Drops the oldest entries of a stack beyond its `?`-th newest. */
const TRIM = `DELETE FROM undo_entries WHERE stack = ? AND seq <= (
  SELECT seq FROM undo_entries WHERE stack = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`
const COUNTS = 'SELECT stack, count(*) AS n FROM undo_entries GROUP BY stack'
const DROP_SPACE = 'DELETE FROM undo_entries WHERE space = ?'

export class UndoStack {
  constructor(
    private readonly sql: StatementCache,
    /** How many entries each stack keeps; the oldest go first. */
    private readonly limit: number,
  ) {}

  /** Puts an entry on top of `stack`, dropping the oldest beyond the limit. In a transaction. */
  push(stack: StackName, space: string | null, changes: readonly Change[]): void {
    this.sql.run(PUSH, [stack, space, JSON.stringify(changes)])
    this.sql.run(TRIM, [stack, stack, this.limit])
  }

  top(stack: StackName): Entry | undefined {
    const row = this.sql.one<{ seq: number; space: string | null; changes: string }>(TOP, [stack])
    if (!row) return undefined
    return { seq: row.seq, space: row.space, changes: JSON.parse(row.changes) as Change[] }
  }

  remove(seq: number): void {
    this.sql.run(REMOVE, [seq])
  }

  /**
   * The entries of both stacks that write any of `entities`: the JSON of every entry is
   * searched as text first, so only those are parsed — a stack of bulk imports
   * is not decoded whole at every undo.
   */
  writing(entities: ReadonlySet<string>): Entry[] {
    const found: Entry[] = []
    // As they appear in the JSON: quoted and escaped (a caller-chosen id may hold anything).
    // Many entities (an undone bulk edit): every entry is parsed, as searching would cost more.
    const needles = [...entities].map((entity) => JSON.stringify(entity))
    const search = needles.length <= SEARCHED
    for (const row of this.sql.all<{ seq: number; space: string | null; changes: string }>(ALL)) {
      let hit = !search
      if (search)
        for (const needle of needles)
          if (row.changes.includes(needle)) {
            hit = true
            break
          }
      if (hit)
        found.push({ seq: row.seq, space: row.space, changes: JSON.parse(row.changes) as Change[] })
    }
    return found
  }

  /** Stores an entry's changes again, in place. In a transaction. */
  update(entry: Entry): void {
    this.sql.run(UPDATE, [JSON.stringify(entry.changes), entry.seq])
  }

  clear(stack: StackName): void {
    this.sql.run(CLEAR, [stack])
  }

  counts(): { undo: number; redo: number } {
    const counts = { undo: 0, redo: 0 }
    for (const { stack, n } of this.sql.all<{ stack: string; n: number }>(COUNTS))
      if (stack === 'undo' || stack === 'redo') counts[stack] = Number(n)
    return counts
  }
}

/** Drops the entries of a space this device left or lost (DESIGN §8). In a transaction. */
export const dropUndoOfSpace = (sql: StatementCache, space: string): void => {
  sql.run(DROP_SPACE, [space])
}
