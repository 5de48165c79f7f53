import type { Store } from '../store/store.js'

/**
 * Spaces whose bundle ids this device owes a comparison with the server (`sync_state` key
 * `space_compare`, a JSON list, written in the transaction of the answer that called for it,
 * so a crash cannot lose it). Why: a user removed from a space and let in again, whose device
 * pushes a write into it after the rejoin but before it has pulled the removal, gets in one
 * answer the acknowledgement of that write and the removal, which drops the space's rows here,
 * that write included; the rejoin's replay is the space's history up to the rejoin, and a
 * device's own pushes are never sent back to it, so no page ever brings the write again. Only
 * then (a removal in the answer acknowledging a push into that space) is a comparison owed:
 * a plain join costs nothing more than its replay. And when the server lists again a space
 * this device left by a direct answer (restored from a backup taken before the leave): the
 * leave dropped its rows here and the cursor is past them (`SpaceRoutes.list`).
 */
const KEY = 'space_compare'

export const owedSpaceCompare = (store: Store): string[] =>
  JSON.parse(store.getState(KEY) ?? '[]') as string[]

/** Adds spaces to the owed list; inside the caller's transaction. */
export const oweSpaceCompare = (store: Store, spaces: readonly string[]): void => {
  store.setState(KEY, JSON.stringify([...new Set([...owedSpaceCompare(store), ...spaces])]))
}

/** Takes compared spaces off the list (a join owed meanwhile stays on it). */
export const settleSpaceCompare = (store: Store, compared: readonly string[]): void => {
  const done = new Set(compared)
  store.setState(KEY, JSON.stringify(owedSpaceCompare(store).filter((s) => !done.has(s))))
}

const SPACE_OF_BUNDLE = 'SELECT space FROM bundles WHERE id = ?'

/** The spaces among `spaces` that hold any of `bundles` here (inside the caller's transaction). */
export const spacesOf = (
  store: Store,
  bundles: readonly string[],
  spaces: readonly string[],
): string[] => {
  if (bundles.length === 0 || spaces.length === 0) return []
  const wanted = new Set(spaces)
  const found = new Set<string>()
  for (const id of bundles) {
    const space = store.sql.one<{ space: string | null }>(SPACE_OF_BUNDLE, [id])?.space
    if (space != null && wanted.has(space)) found.add(space)
  }
  return [...found]
}
