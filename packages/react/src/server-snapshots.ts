import type { Space, SyncStatus, UndoState } from '@tidings/client'

/*
 * What every hook shows on the server, and so in hydration, which must render what the server
 * did: the server has no device data (no rows, no outbox, no spaces, no undo stack), so each
 * hook's server snapshot is its "not loaded" value, one constant whatever client the provider
 * holds. React re-renders with the client's snapshot right after hydrating.
 */

/** Rows of a live query: not loaded. */
export const notLoaded = (): unknown[] | undefined => undefined

const NOT_SYNCED: SyncStatus = Object.freeze({
  state: 'idle',
  pending: 0,
  rejected: 0,
  lastSyncedAt: null,
})
/** Sync status: idle, nothing pending, never synced. */
export const notSynced = (): SyncStatus => NOT_SYNCED

const NO_SPACES: Space[] = Object.freeze([]) as unknown as Space[]
/** Spaces: none heard of yet. */
export const noSpaces = (): Space[] => NO_SPACES

const NOTHING_TO_UNDO: UndoState = Object.freeze({
  canUndo: false,
  canRedo: false,
  undoCount: 0,
  redoCount: 0,
})
/** Undo state: nothing to undo or redo. */
export const nothingToUndo = (): UndoState => NOTHING_TO_UNDO
