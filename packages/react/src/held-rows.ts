import type { ObservableClient } from './context.js'

/** The rows a query hook last committed to the screen, and whose they were. */
export interface ShownRows {
  client: ObservableClient
  type: string
  rows: unknown[]
}

/** What a query hook shows: rows (possibly the last key's) and whether they are the last key's. */
export interface HeldRows {
  rows: unknown[] | undefined
  /** True while the rows are the previous query's, held until the new query's first rows. */
  stale: boolean
}

/**
 * A changed query (a filter typed into, an author picked) starts a new live query whose rows
 * come a moment later. Showing `undefined` meanwhile flashes the loading state between two
 * lists; the rows last shown stand instead, marked stale. Only for the same client and type:
 * another user's rows, or rows of another shape, must never stand in.
 */
export function heldRows(
  rows: unknown[] | undefined,
  shown: ShownRows | undefined,
  client: ObservableClient,
  type: string,
): HeldRows {
  if (rows !== undefined) return { rows, stale: false }
  if (shown && shown.client === client && shown.type === type)
    return { rows: shown.rows, stale: true }
  return { rows: undefined, stale: false }
}
