import type { Space, SyncStatus, UndoResult, UndoState } from '@tidings/client'
import { TidingsError } from '@tidings/protocol'
import { useCallback, useMemo, useSyncExternalStore } from 'react'
import {
  type EntityOfType,
  type ObservableClient,
  type QueryOfType,
  type TypeName,
  useTidings,
} from './context.js'
import { liveQuery } from './live-query.js'
import { spacesStore } from './spaces-store.js'

function useLive(type: string, query: object): unknown[] | undefined {
  const client = useTidings()
  // Callers write queries inline; their JSON, not their identity, decides when to resubscribe.
  const key = JSON.stringify(query)
  const store = useMemo(() => liveQuery(client, type, JSON.parse(key)), [client, type, key])
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot)
}

/**
 * The entities of `type` matching `query`, kept current as local writes and syncs change them;
 * `undefined` until the first result arrives.
 */
export function useQuery<K extends TypeName>(
  type: K,
  query: QueryOfType<K> = {},
): Array<EntityOfType<K>> | undefined {
  return useLive(type, query) as Array<EntityOfType<K>> | undefined
}

/** One entity, kept current: `undefined` while loading, `null` when missing or deleted. */
export function useEntity<K extends TypeName>(
  type: K,
  id: string,
): EntityOfType<K> | null | undefined {
  const rows = useLive(type, { where: { id }, limit: 1 })
  return rows === undefined ? undefined : ((rows[0] as EntityOfType<K> | undefined) ?? null)
}

/**
 * The sync status (state, pending count, refused count, last sync), re-rendering on every
 * change. `rejected` counts local changes the server refused for good (`client.rejected()`).
 */
export function useSyncStatus(): SyncStatus {
  const client = useTidings()
  const subscribe = useCallback((listener: () => void) => client.onStatus(listener), [client])
  const snapshot = useCallback(() => client.status, [client])
  return useSyncExternalStore(subscribe, snapshot, snapshot)
}

/**
 * This user's spaces (the private one, `private: true`, once the server has listed it; then
 * every shared space with this user's role), kept current by syncs and by the client's space
 * calls. The first use asks the server once; offline it is the list the device last heard of.
 */
export function useSpaces(): Space[] {
  const client = useTidings()
  const store = useMemo(() => spacesStore(client), [client])
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot)
}

/** What `useUndo` returns: the undo state, and `undo`/`redo` bound to the client. */
export interface UndoControls extends UndoState {
  /** Undoes the last local transaction (see `Client.undo`); `done: false` when there was none. */
  undo(): Promise<UndoResult>
  /** Redoes the last undone transaction (see `Client.redo`). */
  redo(): Promise<UndoResult>
}

/**
 * Undo and redo of this device's local transactions, for Undo/Redo buttons and Ctrl+Z:
 * `canUndo` and `canRedo` re-render whenever the client's undo state changes (from any tab,
 * with the browser client). `undo` and `redo` keep their identity while the client does.
 */
export function useUndo(): UndoControls {
  const client = useTidings()
  const subscribe = useCallback(
    (listener: () => void) => undoable(client).onUndoState(listener),
    [client],
  )
  const snapshot = useCallback(() => undoable(client).undoState(), [client])
  const state = useSyncExternalStore(subscribe, snapshot, snapshot)
  const undo = useCallback(() => undoable(client).undo(), [client])
  const redo = useCallback(() => undoable(client).redo(), [client])
  return useMemo(() => ({ ...state, undo, redo }), [state, undo, redo])
}

type Undoable = Required<Pick<ObservableClient, 'undo' | 'redo' | 'undoState' | 'onUndoState'>>

const undoable = (client: ObservableClient): Undoable => {
  if (!client.undo || !client.redo || !client.undoState || !client.onUndoState)
    throw new TidingsError('internal', 'useUndo needs a client with undo() and undoState()')
  return client as Undoable
}
