import type { Kysely } from 'kysely'
import type { Database } from '../schema.js'

/** SQL families: the few places where SQL differs branch on this, never on the driver. */
export type Family = 'sqlite' | 'postgres'

/** An open database of one dialect, ready for migrations. */
export interface Backend {
  family: Family
  db: Kysely<Database>
  /** Where the data lives, safe to log (no password). */
  description: string
}

/** A primary-key or unique violation, whatever the driver. */
export const isUniqueViolation = (err: unknown): boolean => {
  const code = (err as { code?: unknown } | null)?.code
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE'
  )
}
