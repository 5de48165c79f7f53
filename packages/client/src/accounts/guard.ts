/**
 * Work that talks to the server as this database's client: a first answer means the server now
 * guards whose client this is, and its refusal of the client id as another user's becomes
 * `AccountMismatchError` (see binding.ts). Once the client is closed, errors pass as they are.
 */
import type { Store } from '../store/store.js'
import { accountRefusal, markSynced } from './binding.js'

export const accountGuard =
  (store: Store, closed: () => boolean) =>
  async <T>(work: () => Promise<T>): Promise<T> => {
    let result: T
    try {
      result = await work()
    } catch (error) {
      throw closed() ? error : accountRefusal(store, error)
    }
    if (!closed()) markSynced(store)
    return result
  }
