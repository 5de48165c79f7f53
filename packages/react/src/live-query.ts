import type { ObservableClient } from './context.js'

/**
 * One `observe` subscription shared by every component showing the same query, in the shape
 * `useSyncExternalStore` wants. It observes while someone listens and is forgotten after.
 */
export interface LiveQuery {
  subscribe(listener: () => void): () => void
  /** The latest rows, or undefined until the first result arrives. */
  getSnapshot(): unknown[] | undefined
  /**
   * The first rows, for Suspense (`useSuspenseQuery`): one promise per live query. A suspended
   * component never commits, so never subscribes: this subscribes in its stead, and holds the
   * query for `UNSUBSCRIBED_TTL_MS` after the rows arrive so the retried render finds them.
   */
  ready(): Promise<unknown[]>
}

const stores = new WeakMap<ObservableClient, Map<string, LiveQuery>>()

/**
 * A live query made by a render that never commits (React discarded it: a transition, a
 * Suspense retry, StrictMode's second render) is never subscribed: it leaves the cache after
 * this long unsubscribed. A component that subscribes later puts it back.
 */
export const UNSUBSCRIBED_TTL_MS = 10_000

/** The shared live query of `client` for `type` and `query` (compared by JSON). */
export function liveQuery(client: ObservableClient, type: string, query: object): LiveQuery {
  const key = `${type}:${JSON.stringify(query)}`
  const byKey = stores.get(client) ?? new Map<string, LiveQuery>()
  stores.set(client, byKey)
  const existing = byKey.get(key)
  if (existing) return existing

  const listeners = new Set<() => void>()
  let rows: unknown[] | undefined
  let off: (() => void) | null = null
  let first: Promise<unknown[]> | null = null
  const store: LiveQuery = {
    getSnapshot: () => rows,
    ready() {
      first ??= new Promise((resolve) => {
        let resolved = false
        const settle = () => {
          if (resolved || rows === undefined) return
          resolved = true
          resolve(rows)
          unrefTimer(setTimeout(() => unsubscribe(), UNSUBSCRIBED_TTL_MS))
        }
        const unsubscribe = store.subscribe(settle)
        settle()
      })
      return first
    },
    subscribe(listener) {
      listeners.add(listener)
      // Back in the cache if it was forgotten (React may unsubscribe and subscribe again).
      byKey.set(key, store)
      off ??= client.observe(type, query, (next) => {
        rows = next
        for (const notify of listeners) notify()
      })
      return () => {
        listeners.delete(listener)
        if (listeners.size > 0) return
        off?.()
        off = null
        forget()
      }
    },
  }
  const forget = () => {
    if (byKey.get(key) === store) byKey.delete(key)
  }
  byKey.set(key, store)
  unrefTimer(
    setTimeout(() => {
      if (listeners.size === 0) forget()
    }, UNSUBSCRIBED_TTL_MS),
  )
  return store
}

// Server rendering makes queries nobody subscribes to: their timers must not keep Node up.
const unrefTimer = (timer: unknown) => (timer as { unref?: () => void }).unref?.()
