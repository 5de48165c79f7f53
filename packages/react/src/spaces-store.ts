import type { Space } from '@tidings/client'
import { TidingsError } from '@tidings/protocol'
import type { ObservableClient } from './context.js'

/** A client's list of spaces as an external store for `useSyncExternalStore`. */
export interface SpacesStore {
  subscribe(listener: () => void): () => void
  getSnapshot(): Space[]
}

const stores = new WeakMap<ObservableClient, SpacesStore>()

/**
 * One store per client, shared by every `useSpaces`: its snapshot keeps its identity until the
 * list changes (React re-renders on a new identity), and its first subscriber asks the server
 * once for the current list (`client.spaces()`); offline, the list the device last heard of
 * stands, and the syncs' membership news keep it current either way.
 */
export const spacesStore = (client: ObservableClient): SpacesStore => {
  let store = stores.get(client)
  if (store) return store
  const { cachedSpaces, observeSpaces } = client
  if (!cachedSpaces || !observeSpaces)
    throw new TidingsError(
      'internal',
      'useSpaces needs a client with observeSpaces (Tidings ≥ protocol 3)',
    )
  let snapshot = cachedSpaces.call(client)
  let asked = false
  const listeners = new Set<() => void>()
  let off: (() => void) | null = null
  store = {
    subscribe(listener) {
      listeners.add(listener)
      off ??= observeSpaces.call(client, (spaces) => {
        if (JSON.stringify(spaces) === JSON.stringify(snapshot)) return
        snapshot = spaces
        for (const each of listeners) each()
      })
      if (!asked) {
        asked = true
        client.spaces?.().catch(() => undefined)
      }
      return () => {
        listeners.delete(listener)
        if (listeners.size > 0) return
        off?.()
        off = null
      }
    },
    getSnapshot: () => snapshot,
  }
  stores.set(client, store)
  return store
}
