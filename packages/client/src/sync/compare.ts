import { isTidingsError, type Limits, ROUTES, withParts } from '@tidings/protocol'
import { heldPartIds } from '../store/parts.js'
import { deleteBundles } from '../store/space-rows.js'
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
  /** Only these shared spaces (a rejoin's check); default: the private space and every shared one. */
  only?: readonly string[],
): Promise<Omit<VerifyResult, 'pushed'>> => {
  const total: Omit<VerifyResult, 'pushed'> = { missingLocally: 0, missingOnServer: 0, pulled: 0 }
  // One space at a time (DESIGN §8, "Per-space reads"): the private one, then every shared
  // space this device knows or holds bundles of.
  const shared = store.sql
    .all<{ space: string }>(SHARED_SPACES)
    .map((r) => r.space)
    .filter((space) => space !== store.privateSpace)
  const own = ownUsersClients(store)
  for (const space of only ?? [null, ...shared]) {
    let ids: string[]
    try {
      const route =
        space === null ? ROUTES.bundleIds : `${ROUTES.bundleIds}?space=${encodeURIComponent(space)}`
      ids = (await transport.get(route, 'bundleIdsResponse')).body.ids
    } catch (error) {
      // A space this user just left or lost: the sync answer's news will drop it.
      if (
        space !== null &&
        isTidingsError(error) &&
        ['forbidden', 'not_found'].includes(error.code)
      )
        continue
      throw error
    }
    const one = await compareSpace(store, transport, limits, refused, changed, space, ids, own)
    total.missingLocally += one.missingLocally
    total.missingOnServer += one.missingOnServer
    total.pulled += one.pulled
    if (one.compacted) total.compacted = (total.compacted ?? 0) + one.compacted
  }
  return total
}

/** Shared spaces to compare: those known, and those of stored bundles. */
const SHARED_SPACES =
  'SELECT id AS space FROM spaces WHERE private = 0 UNION SELECT DISTINCT space FROM bundles WHERE space IS NOT NULL'
const SPACE_BUNDLE_IDS = 'SELECT id, client FROM bundles WHERE space IS ?'
const PRIVATE_CLIENTS = 'SELECT DISTINCT client FROM bundles WHERE space IS NULL'

/**
 * The client ids known here to be this user's: this device's, and every client that wrote into
 * the private space (only this user's devices can). A bundle carries no user, so a sibling device
 * that never wrote into the private space is not recognised: its bundles count as another user's.
 */
const ownUsersClients = (store: Store): ReadonlySet<string> =>
  new Set([
    store.clientId,
    ...store.sql.all<{ client: string }>(PRIVATE_CLIENTS).map((r) => r.client),
  ])

const compareSpace = async (
  store: Store,
  transport: Transport,
  limits: Limits,
  refused: RejectedBundles,
  changed: (changes: Changes) => void,
  space: string | null,
  ids: readonly string[],
  own: ReadonlySet<string>,
): Promise<Omit<VerifyResult, 'pushed'>> => {
  const remote = new Set(ids)
  const rows = store.sql.all<{ id: string; client: string }>(SPACE_BUNDLE_IDS, [space])
  // Parts held aside for the rest of their transaction are here too, just not applied yet.
  const local = new Set([...rows.map((r) => r.id), ...heldPartIds(store.sql)])
  const missingLocally = ids.filter((id) => !local.has(id))
  // Every bundle held here that the server lacks goes again, the user's other devices' too: a
  // server restored from a backup may have lost a bundle whose author rolled back as well (or
  // is gone), and then this copy is the last. The server takes it from any client of its user.
  // In a shared space other users' bundles are theirs to push (the server refuses another
  // user's client), so only this user's go again there: this device's and its siblings' (a
  // sibling rolled back past its bundle may hold it no more, and then this copy is the last).
  // A bundle the server refused for good is not pushed again behind the app's back.
  const refusedIds = refused.ids()
  const lacking = rows.filter((r) => !remote.has(r.id) && !refusedIds.has(r.id))
  const missingOnServer = lacking
    .filter((r) => space === null || own.has(r.client))
    .map((r) => r.id)
  // Another user's bundle of a shared space that the server lacks (a restore lost it) is this
  // device's to drop, not to keep: it may not push it, and its author may never push it back
  // (refused, since it became a reader, or gone). Kept, it would stay on the devices that had
  // pulled it and nowhere else, for good. Dropped, this device holds what a fresh device of its
  // user would; if the author pushes it back, it comes again with the pulls.
  if (space !== null) {
    const gone = lacking.filter((r) => !own.has(r.client)).map((r) => r.id)
    if (gone.length > 0) changed(dropOthers(store, gone))
  }
  let pulled = 0
  let compacted = 0
  for (let i = 0; i < missingLocally.length; i += limits.maxIdsPerRequest) {
    const ids = missingLocally.slice(i, i + limits.maxIdsPerRequest)
    const answer = await transport.post(ROUTES.getBundles, { ids }, 'getBundlesResponse')
    // A listed bundle the server does not send back was compacted to nothing (see VerifyResult).
    compacted += ids.length - answer.body.bundles.length
    const changes = store.applyRemote(withParts(answer.body.bundles, answer.body.parts))
    pulled += changes.applied
    changed(changes)
  }
  store.requeue(missingOnServer)
  return {
    missingLocally: missingLocally.length,
    missingOnServer: missingOnServer.length,
    pulled,
    ...(compacted > 0 && { compacted }),
  }
}

/** Deletes bundles of other users the server lost, and recomputes the state without them. */
const dropOthers = (store: Store, ids: readonly string[]): Changes =>
  store.sql.transaction(() => {
    deleteBundles(store.sql, ids)
    return { types: store.rebuildInTransaction(), applied: 0 }
  })
