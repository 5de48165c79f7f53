import type { Space, SyncStatus, UndoResult, UndoState } from '@tidings/client'
import { TidingsError } from '@tidings/protocol'
import { use, useCallback, useEffect, useMemo, useRef, useSyncExternalStore } from 'react'
import {
  type EntityOfType,
  type ObservableClient,
  type QueryOfType,
  type TypeName,
  useTidings,
} from './context.js'
import { type HeldRows, heldRows, type ShownRows } from './held-rows.js'
import { type LiveQuery, liveQuery } from './live-query.js'
import { noSpaces, nothingToUndo, notLoaded, notSynced } from './server-snapshots.js'
import { spacesStore } from './spaces-store.js'

/** The shared live query of `type` and `query`, and its rows (undefined until they arrive). */
function useLive(type: string, query: object): { store: LiveQuery; rows: unknown[] | undefined } {
  const client = useTidings()
  // Callers write queries inline; their JSON, not their identity, decides when to resubscribe.
  const key = JSON.stringify(query)
  const store = useMemo(() => liveQuery(client, type, JSON.parse(key)), [client, type, key])
  // The server (and hydration, which must match it) has no rows: always "not loaded".
  return { store, rows: useSyncExternalStore(store.subscribe, store.getSnapshot, notLoaded) }
}

/** `useLive`, holding the rows last committed while a changed query loads (`heldRows`). */
function useHeldLive(type: string, query: object): HeldRows {
  const client = useTidings()
  const { rows } = useLive(type, query)
  // Written only once a render commits, so a discarded render's rows never stand in.
  const shown = useRef<ShownRows | undefined>(undefined)
  useEffect(() => {
    if (rows !== undefined) shown.current = { client, type, rows }
  }, [client, type, rows])
  return heldRows(rows, shown.current, client, type)
}

/**
 * The entities of `type` matching `query`, kept current as local writes and syncs change them;
 * `undefined` until the first result arrives (and on the server). When the query changes, the
 * previous query's rows stay until the new one's first rows arrive (no loading flash);
 * `useQueryResult` says when they are.
 */
export function useQuery<K extends TypeName>(
  type: K,
  query: QueryOfType<K> = {},
): Array<EntityOfType<K>> | undefined {
  return useHeldLive(type, query).rows as Array<EntityOfType<K>> | undefined
}

/**
 * `useQuery` for Suspense: suspends (the nearest `<Suspense>` shows its fallback) until the
 * query's first rows arrive, then returns them, kept current; never `undefined`. A changed query
 * suspends again (wrap the change in `startTransition` to keep the last rows on screen instead).
 * On the server it waits for the server-side client's rows when the renderer streams or
 * prerenders; `renderToString` shows the fallback.
 */
export function useSuspenseQuery<K extends TypeName>(
  type: K,
  query: QueryOfType<K> = {},
): Array<EntityOfType<K>> {
  const { store, rows } = useLive(type, query)
  // `use` on the live query's one promise: React retries the render once it resolves.
  return (rows ?? use(store.ready())) as Array<EntityOfType<K>>
}

/** What `useQueryResult` returns. */
export interface QueryResult<T> {
  /** As `useQuery` returns them: `undefined` until the first rows. */
  rows: T[] | undefined
  /** True while `rows` are the previous query's, shown until the changed query's first rows. */
  isStale: boolean
}

/** `useQuery` with `isStale`, to dim a list while a changed filter loads. */
export function useQueryResult<K extends TypeName>(
  type: K,
  query: QueryOfType<K> = {},
): QueryResult<EntityOfType<K>> {
  const { rows, stale } = useHeldLive(type, query)
  return { rows: rows as Array<EntityOfType<K>> | undefined, isStale: stale }
}

/**
 * One entity, kept current: `undefined` while loading (and on the server), `null` when missing
 * or deleted. A changed `id` shows `undefined` until it loads: another entity never stands in.
 */
export function useEntity<K extends TypeName>(
  type: K,
  id: string,
): EntityOfType<K> | null | undefined {
  const { rows } = useLive(type, { where: { id }, limit: 1 })
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
  return useSyncExternalStore(subscribe, snapshot, notSynced)
}

/**
 * This user's spaces (the private one, `private: true`, once the server has listed it; then
 * every shared space with this user's role), kept current by syncs and by the client's space
 * calls. The first use asks the server once; offline it is the list the device last heard of.
 */
export function useSpaces(): Space[] {
  const client = useTidings()
  const store = useMemo(() => spacesStore(client), [client])
  return useSyncExternalStore(store.subscribe, store.getSnapshot, noSpaces)
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
  // Checked on every render, the server's too (whose snapshot never asks the client).
  undoable(client)
  const subscribe = useCallback(
    (listener: () => void) => undoable(client).onUndoState(listener),
    [client],
  )
  const snapshot = useCallback(() => undoable(client).undoState(), [client])
  const state = useSyncExternalStore(subscribe, snapshot, nothingToUndo)
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
