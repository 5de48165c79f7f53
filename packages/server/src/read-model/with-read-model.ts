import { afterPush } from '../store/after-push.js'
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
  return afterPush(store, kick)
}
