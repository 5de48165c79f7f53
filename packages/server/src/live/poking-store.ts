import type { Store } from '../store/store.js'
import type { LiveHub } from './hub.js'

/**
 * The store with pokes: after a push that added bundles has committed, the hub announces the
 * stream's new head (the cursor, as decimal text). Announcing is fire and forget: the bundles
 * are stored whatever happens to the poke, and clients find them by cursor on their next sync.
 */
export const withPokes = (store: Store, hub: LiveHub): Store => {
  const push: Store['push'] = async (input) => {
    const result = await store.push(input)
    if (result.added > 0) hub.notify(input.stream, result.head)
    return result
  }
  const sync: Store['sync'] = async (pushInput, pull) => {
    const result = await store.sync(pushInput, pull)
    if (result.pushed.added > 0) hub.notify(pushInput.stream, result.pushed.head)
    return result
  }
  // A proxy, not a spread: the store may be a class whose methods need their own `this`.
  return new Proxy(store, {
    get(target, key) {
      if (key === 'push') return push
      if (key === 'sync') return sync
      const value: unknown = Reflect.get(target, key, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
