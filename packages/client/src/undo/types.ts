/** Where the undo and redo stacks stand (`client.undoState()`), for enabling Undo/Redo buttons. */
export interface UndoState {
  canUndo: boolean
  canRedo: boolean
  undoCount: number
  redoCount: number
}

/** One attribute of one entity, as `undo()` and `redo()` report them. */
export interface UndoTarget {
  type: string
  id: string
  attribute: string
}

/**
 * What `undo()` or `redo()` did. `done: false` means the stack was empty: nothing was written
 * (Ctrl+Z pressed once too often is not an error). `restored` lists the attributes written back;
 * `stale` those left alone because someone (this device or another) wrote them since.
 */
export interface UndoResult {
  done: boolean
  restored: UndoTarget[]
  stale: UndoTarget[]
}

/** The default `undoLimit` of `openClient`: how many transactions the undo stack keeps. */
export const DEFAULT_UNDO_LIMIT = 100

export const NOTHING_DONE: UndoResult = Object.freeze({ done: false, restored: [], stale: [] })
