import type { Store } from '../store/store.js'
import type { LiveHub } from './hub.js'

/**
 * A poke's cursor that no client holds: whoever receives it syncs. A membership change has no
 * position of its own in a space (it sits in the user's feed), so the poke names none.
 */
export const MEMBERSHIP_POKE = Number.MAX_SAFE_INTEGER

/**
 * The store with membership pokes: after a change committed, the live streams of the user it
 * changed (the new member, the member whose role changed, the one removed, the creator of a
 * space) are poked, on every node through the hub, so their devices sync and learn it. Fire
 * and forget, as for pushes: a lost poke only delays the news to the next sync.
 */
export const withMembershipPokes = (store: Store, hub: LiveHub): Store => {
  const poke = (user: string) => hub.notify(user, MEMBERSHIP_POKE)
  const overrides: Partial<Store> = {
    createSpace: async (input) => {
      const space = await store.createSpace(input)
      poke(input.owner)
      return space
    },
    setRole: async (input) => {
      const member = await store.setRole(input)
      poke(input.user)
      return member
    },
    removeMember: async (input) => {
      await store.removeMember(input)
      poke(input.user)
    },
    acceptInvite: async (input) => {
      const space = await store.acceptInvite(input)
      poke(input.user)
      return space
    },
  }
  // A proxy, not a spread: the store may be a class whose methods need their own `this`.
  return new Proxy(store, {
    get(target, key) {
      const override = overrides[key as keyof Store]
      if (override) return override
      const value: unknown = Reflect.get(target, key, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
