/**
 * A local transaction through the client's commit path, undoable: what its undo will need is
 * captured before it commits, and its entry goes on the undo stack in the same SQL transaction
 * as its events (see `UndoManager`).
 */
import type { Op } from '../store/store.js'
import type { Created } from './capture.js'
import type { Commit, UndoManager } from './undo-manager.js'

export interface LocalTransaction {
  ops: readonly Op[]
  created: Created
  /** The space it writes (null: private); undefined when it wrote nothing. */
  space: string | null | undefined
}

export const commitUndoable = (undoing: UndoManager, commit: Commit, tx: LocalTransaction) => {
  const space = tx.space ?? null
  const captured = undoing.capture(tx.ops, tx.created)
  commit(tx.ops, space, (events) => undoing.record(captured, events, space))
}
