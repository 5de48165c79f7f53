import type { PushResult, Store } from '../store/store.js'
import type { Projector } from './projector.js'

/**
 * The store with the read model kicked after each push that added bundles, once it committed
 * (the push itself is untouched: see `projector.ts` for why the projection runs beside it).
 */
export const withReadModel = (store: Store, projector: Projector): Store => {
  const kick = (stream: string, result: PushResult) => {
    if (result.added > 0) projector.kick(stream, result.head)
    for (const space of result.shared ?? [])
      if (space.added > 0) projector.kick(space.space, space.head)
  }
  const push: Store['push'] = async (input) => {
    const result = await store.push(input)
    kick(input.stream, result)
    return result
  }
  const sync: Store['sync'] = async (pushInput, pull) => {
    const result = await store.sync(pushInput, pull)
    kick(pushInput.stream, result.pushed)
    return result
  }
  return new Proxy(store, {
    get(target, key) {
      if (key === 'push') return push
      if (key === 'sync') return sync
      const value: unknown = Reflect.get(target, key, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
