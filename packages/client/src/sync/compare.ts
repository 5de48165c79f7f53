import { type Limits, ROUTES, withParts } from '@tidings/protocol'
import { heldPartIds } from '../store/parts.js'
import type { Changes, Store } from '../store/store.js'
import type { RejectedBundles } from './rejected.js'
import type { Transport } from './transport.js'
import type { VerifyResult } from './types.js'

/**
 * Compares bundle ids with the server (the prototype's `verifyBundlesAndPullMissing`): fetches
 * and applies what this replica lacks, queues again what the server lacks. `verify()` and the
 * recovery from a restored server or a rolled-back device (invariant 7) both run it, then sync.
 */
export const compareBundles = async (
  store: Store,
  transport: Transport,
  limits: Limits,
  refused: RejectedBundles,
  changed: (changes: Changes) => void,
): Promise<Omit<VerifyResult, 'pushed'>> => {
  const { body } = await transport.get(ROUTES.bundleIds, 'bundleIdsResponse')
  const remote = new Set(body.ids)
  // Parts held aside for the rest of their transaction are here too, just not applied yet.
  const local = new Set([...store.bundleIds(), ...heldPartIds(store.sql)])
  const missingLocally = body.ids.filter((id) => !local.has(id))
  // Every bundle held here that the server lacks goes again, the user's other devices' too: a
  // server restored from a backup may have lost a bundle whose author rolled back as well (or
  // is gone), and then this copy is the last. The server takes it from any client of its user.
  // A bundle the server refused for good is not pushed again behind the app's back.
  const refusedIds = refused.ids()
  const missingOnServer = store.bundleIds().filter((id) => !remote.has(id) && !refusedIds.has(id))
  let pulled = 0
  for (let i = 0; i < missingLocally.length; i += limits.maxIdsPerRequest) {
    const ids = missingLocally.slice(i, i + limits.maxIdsPerRequest)
    const answer = await transport.post(ROUTES.getBundles, { ids }, 'getBundlesResponse')
    const changes = store.applyRemote(withParts(answer.body.bundles, answer.body.parts))
    pulled += changes.applied
    changed(changes)
  }
  store.requeue(missingOnServer)
  return { missingLocally: missingLocally.length, missingOnServer: missingOnServer.length, pulled }
}
