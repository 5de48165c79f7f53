import { type Role, type SpaceChange, TidingsError } from '@tidings/protocol'
import { confirmSpaces, rememberSpace, roleIn } from '../store/known-spaces.js'
import { deleteBundles, dropSpaceRows } from '../store/space-rows.js'
import type { Store } from '../store/store.js'
import { dropUndoOfSpace } from '../undo/undo-stack.js'
import type { RejectedBundles } from './rejected.js'

/**
 * What the device does when it learns it left or lost a space, or may no longer write one
 * (DESIGN §8, "Leaving a space on a device"). Nothing here is silent: every write the server
 * never took goes to `rejected()` with code `forbidden`, its content copied out first.
 */

const UNSENT_OF_SPACE =
  'SELECT o.bundle FROM outbox o JOIN bundles b ON b.id = o.bundle WHERE b.space = ? ORDER BY o.seq'

/**
 * Drops every local row of `space` (see `dropSpaceRows`) after moving its unsent bundles to the
 * rejected list as `forbidden`. Returns the types whose rows went. Inside the caller's
 * transaction.
 */
export const loseSpace = (store: Store, refused: RejectedBundles, space: string): Set<string> => {
  const error = new TidingsError(
    'forbidden',
    `you are no longer a member of space ${space}: this write never reached it and was removed from this device`,
    { details: { space } },
  )
  for (const { bundle } of store.sql.all<{ bundle: string }>(UNSENT_OF_SPACE, [space]))
    refused.rejectInTx(bundle, error, true)
  refused.keepContentOfSpace(space)
  dropUndoOfSpace(store.sql, space)
  return dropSpaceRows(store.sql, store.schema, space)
}

/**
 * Applies the membership changes of a `/v1/sync` answer in order (inside the page's
 * transaction, before its bundles): a removal drops the space, anything else records the role.
 * Adds the types whose rows went to `types`; returns the spaces joined (new to this device).
 */
export const applySpaceChanges = (
  store: Store,
  refused: RejectedBundles,
  changes: readonly SpaceChange[],
  types: Set<string>,
): string[] => {
  const joined: string[] = []
  confirmSpaces(
    store.sql,
    changes.map((c) => c.id),
  )
  // The last change of each space in this list: a removal that a later change of the same list
  // takes back (removed, then let in again) drops nothing. Dropped, the space's unsent writes
  // (made after this device joined again by a direct answer) would be set aside as `forbidden`
  // though the user is a member; kept, the rows are what the rejoin's replay brings anyway.
  const last = new Map(changes.map((c) => [c.id, c]))
  for (const change of changes) {
    if (change.role === null) {
      if (last.get(change.id)?.role === null)
        for (const type of loseSpace(store, refused, change.id)) types.add(type)
      continue
    }
    if (roleIn(store.sql, change.id) === undefined) joined.push(change.id)
    rememberSpace(store.sql, change)
  }
  return joined
}

/** The body of a push refused by space (DESIGN §8): `403 forbidden`, these details. */
export interface ForbiddenDetails {
  bundles: string[]
  spaces: Array<{ id: string; role: Role | null }>
}

/** The details of a `forbidden` refusal naming the bundles it refuses; null for any other error. */
export const forbiddenBundles = (error: unknown): ForbiddenDetails | null => {
  if (!(error instanceof TidingsError) || error.code !== 'forbidden') return null
  const details = error.details as (Partial<ForbiddenDetails> & { bundle?: unknown }) | undefined
  // A bundle writing an entity of another space: `details: {bundle, entity}`.
  if (typeof details?.bundle === 'string') return { bundles: [details.bundle], spaces: [] }
  if (!Array.isArray(details?.bundles) || !details.bundles.every((b) => typeof b === 'string'))
    return null
  const spaces = Array.isArray(details.spaces)
    ? details.spaces.filter(
        (s): s is { id: string; role: Role | null } =>
          typeof s?.id === 'string' && (s.role === null || typeof s.role === 'string'),
      )
    : []
  return { bundles: details.bundles, spaces }
}

const UPDATE_ROLE = 'UPDATE spaces SET role = ? WHERE id = ?'

/**
 * Sets aside the bundles a push refused as `forbidden` (the role was lowered, or the space
 * lost): each goes to `rejected()` with the server's error, its content copied out, and is
 * undone locally (its events leave the log and the state is rebuilt without them); the role news
 * is applied. One transaction. Returns how many bundles were set aside and the types that changed.
 */
export const setAsideForbidden = (
  store: Store,
  refused: RejectedBundles,
  error: TidingsError,
  details: ForbiddenDetails,
): { rejected: number; types: Set<string> } => {
  const types = new Set<string>()
  let rejected = 0
  store.sql.transaction(() => {
    const outboxBefore = store.pending()
    for (const { id, role } of details.spaces) {
      if (role === null) for (const type of loseSpace(store, refused, id)) types.add(type)
      else store.sql.run(UPDATE_ROLE, [role, id])
    }
    const undo = details.bundles.filter((id) => store.hasBundle(id))
    for (const id of undo) refused.rejectInTx(id, error, true)
    deleteBundles(store.sql, undo)
    if (undo.length > 0) for (const type of store.rebuildInTransaction()) types.add(type)
    rejected = outboxBefore - store.pending()
  })
  return { rejected, types }
}
