import type { PushResult, Store } from './store.js'

/**
 * The store with `pushed(stream, result)` called after every push that committed, whether it
 * came alone (`push`) or with a pull (`sync`): how pokes and the read model learn of new
 * bundles without touching the push itself.
 */
export const afterPush = (
  store: Store,
  pushed: (stream: string, result: PushResult) => void,
): Store => {
  const push: Store['push'] = async (input) => {
    const result = await store.push(input)
    pushed(input.stream, result)
    return result
  }
  const sync: Store['sync'] = async (pushInput, pull) => {
    const result = await store.sync(pushInput, pull)
    pushed(pushInput.stream, result.pushed)
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
