import { canWrite, type Event, TidingsError } from '@tidings/protocol'
import { roleIn } from '../store/known-spaces.js'
import { newOp, type Op, type Store } from '../store/store.js'
import { type Captured, type Created, captureChanges, ownersFrom, winnerOf } from './capture.js'
import { NOTHING_DONE, type UndoResult, type UndoState, type UndoTarget } from './types.js'
import { type Change, type StackName, UndoStack } from './undo-stack.js'

const ANY_REGISTER = 'SELECT 1 AS found FROM attributes WHERE type = ? AND entity = ? LIMIT 1'

/** Refuses an `undoLimit` that is not a whole number ≥ 0 (`bad_request`). */
export const checkUndoLimit = (limit: number): void => {
  if (!Number.isInteger(limit) || limit < 0)
    throw new TidingsError('bad_request', `undoLimit must be a whole number ≥ 0, not ${limit}`)
}

/** Commits compensating ops as a new local transaction (the client's commit path). */
export type Commit = (
  ops: readonly Op[],
  space: string | null,
  alsoInTx: (events: readonly Event[]) => void,
) => void

/**
 * Undo and redo of local transactions, Core Data-style: every local transaction goes on the
 * undo stack (a new one clears the redo stack); `undo` writes compensating events as a new
 * local transaction (it syncs like any write; the log is never rewritten) and moves the entry
 * to the redo stack, `redo` writes the entry's values again and moves it back. Neither puts a
 * new entry on a stack.
 *
 * The stale rule: a register is written back only while its current winner is still the
 * entry's own event (the original write, or the last undo/redo of it). Anything someone wrote
 * since, on this device or pulled from another, wins: that attribute is reported `stale` and
 * never written by this entry again.
 */
export class UndoManager {
  private readonly stack: UndoStack
  private readonly listeners = new Set<(state: UndoState) => void>()
  private current: UndoState

  constructor(
    private readonly store: Store,
    limit: number,
    private readonly commit: Commit,
    private readonly onError: (error: unknown) => void,
  ) {
    checkUndoLimit(limit)
    this.stack = new UndoStack(store.sql, limit)
    this.current = this.read()
  }

  /** Before a local commit: what its undo will need (see `captureChanges`). */
  capture(ops: readonly Op[], created: Created): Captured {
    return captureChanges(this.store.sql, ops, created)
  }

  /** In the local commit's transaction: the new entry on top, the redo stack emptied. */
  record(captured: Captured, events: readonly Event[], space: string | null): void {
    this.stack.push('undo', space, ownersFrom(captured, events))
    this.stack.clear('redo')
  }

  undo(): UndoResult {
    return this.move('undo', 'redo', (c) => c.b)
  }

  redo(): UndoResult {
    return this.move('redo', 'undo', (c) => c.v)
  }

  state(): UndoState {
    return this.current
  }

  subscribe(listener: (state: UndoState) => void): () => void {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  /** Reads the stacks again (after any commit, pull or wipe) and tells listeners of a change. */
  refresh(): void {
    const next = this.read()
    const now = this.current
    if (next.undoCount === now.undoCount && next.redoCount === now.redoCount) return
    this.current = next
    for (const listener of [...this.listeners]) {
      try {
        listener(next)
      } catch (error) {
        this.onError(error)
      }
    }
  }

  /**
   * Takes the top entry of `from`, writes `value` of each change it still owns as one local
   * transaction, and puts the entry (owning the new events) on top of `to`, in that transaction.
   */
  private move(from: StackName, to: StackName, value: (c: Change) => Change['v']): UndoResult {
    const entry = this.stack.top(from)
    if (!entry) return NOTHING_DONE
    if (entry.space !== null) {
      const role = roleIn(this.store.sql, entry.space)
      if (role === undefined)
        throw new TidingsError('not_found', `space ${entry.space} is no longer on this device`)
      if (!canWrite(role))
        throw new TidingsError(
          'forbidden',
          `your role in space ${entry.space} is ${role}: its changes cannot be ${from === 'undo' ? 'undone' : 'redone'}`,
        )
    }
    const ops: Op[] = []
    const written: Change[] = []
    const restored: UndoTarget[] = []
    const stale: UndoTarget[] = []
    for (const change of entry.changes) {
      const target = { type: change.t, id: change.e, attribute: change.a }
      if (!this.owns(change)) {
        change.o = null
        stale.push(target)
        continue
      }
      ops.push(newOp(change.t, change.e, change.a, value(change)))
      written.push(change)
      restored.push(target)
    }
    const moveEntry = (events: readonly Event[]) => {
      this.transfer(entry.seq, written, events)
      for (let i = 0; i < written.length; i++) {
        const change = written[i]!
        change.p = change.o!
        change.o = events[i]!.id
      }
      this.stack.remove(entry.seq)
      this.stack.push(to, entry.space, entry.changes)
    }
    if (ops.length > 0) this.commit(ops, entry.space, moveEntry)
    else this.store.sql.transaction(() => moveEntry([]))
    this.refresh()
    return { done: true, restored, stale }
  }

  /**
   * Hands the state each written change brings back to the changes of other entries that owned
   * it (see `Change`): they own the new event now.
   */
  private transfer(seq: number, written: readonly Change[], events: readonly Event[]): void {
    const back = new Map<string, { from: string; to: string }>()
    for (let i = 0; i < written.length; i++) {
      const c = written[i]!
      back.set(`${c.t}\u0000${c.e}\u0000${c.a}`, { from: c.p, to: events[i]!.id })
    }
    for (const other of this.stack.writing(new Set(written.map((c) => c.e)))) {
      if (other.seq === seq) continue
      let moved = false
      for (const c of other.changes) {
        const handed = back.get(`${c.t}\u0000${c.e}\u0000${c.a}`)
        if (handed && c.o === handed.from) {
          c.o = handed.to
          moved = true
        }
      }
      if (moved) this.stack.update(other)
    }
  }

  /** Whether the register's current winner is still the entry's own event. */
  private owns(change: Change): boolean {
    if (change.o === null) return false
    const winner = winnerOf(this.store.sql, change.t, change.e, change.a)
    if (change.o !== '') return winner?.id === change.o
    // A created entity's empty `deleted` flag: still empty, and the entity still there (a
    // refused create set aside has left the log: nothing to undo).
    return (
      winner === undefined && this.store.sql.one(ANY_REGISTER, [change.t, change.e]) !== undefined
    )
  }

  private read(): UndoState {
    const { undo, redo } = this.stack.counts()
    return { canUndo: undo > 0, canRedo: redo > 0, undoCount: undo, redoCount: redo }
  }
}
