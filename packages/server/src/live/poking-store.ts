import { afterPush } from '../store/after-push.js'
import type { PushResult, Store } from '../store/store.js'
import type { LiveHub } from './hub.js'

/**
 * The store with pokes: after a push that added bundles has committed, the hub announces the
 * stream's new head (the cursor, as decimal text). Announcing is fire and forget: the bundles
 * are stored whatever happens to the poke, and clients find them by cursor on their next sync.
 */
export const withPokes = (store: Store, hub: LiveHub): Store => {
  const poke = (stream: string, result: PushResult) => {
    if (result.added > 0) hub.notify(stream, result.head)
    // A shared space's members each sync their own feed: a poke past any cursor tells them to.
    for (const space of result.shared ?? [])
      for (const member of space.members) hub.notify(member, Number.MAX_SAFE_INTEGER)
  }
  return afterPush(store, poke)
}
