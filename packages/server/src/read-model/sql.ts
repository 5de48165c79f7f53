import { CompiledQuery, type Kysely } from 'kysely'
import type { Family } from '../store/dialects/family.js'

/**
 * The read model's SQL is written once with `?` placeholders and run as raw compiled queries:
 * its statements are multi-row upserts whose width changes with each batch, which Kysely's
 * builder would rebuild node by node for no gain. (No statement here holds a literal `?`.)
 */

// biome-ignore lint/suspicious/noExplicitAny: the read model's tables are not in the store's typed Database
export type AnyDb = Kysely<any>

/** Runs `text` with `params`, numbering placeholders `$1…` on Postgres. */
export const run = async <R = Record<string, unknown>>(
  db: AnyDb,
  family: Family,
  text: string,
  params: readonly unknown[] = [],
): Promise<R[]> => {
  let sqlText = text
  if (family === 'postgres') {
    let n = 0
    sqlText = text.replace(/\?/g, () => `$${++n}`)
  }
  const result = await db.executeQuery<R>(CompiledQuery.raw(sqlText, [...params]))
  return result.rows
}

/** `(?, ?, …), (?, ?, …)`: `rows` groups of `width` placeholders. */
export const placeholders = (rows: number, width: number): string => {
  const one = `(${Array(width).fill('?').join(', ')})`
  return Array(rows).fill(one).join(', ')
}

/** A SQL identifier, double-quoted (names are checked identifiers; quoting keeps case). */
export const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`

/** Rows per multi-row statement: 500 × 7 parameters stays under both engines' limits. */
export const ROWS_PER_STATEMENT = 500

export const chunked = <T>(items: readonly T[], size = ROWS_PER_STATEMENT): T[][] => {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}
