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
  /** Real Postgres only: connections that pipeline queries, for the hot push path. */
  pipelined?: PipelinedPool
}

/** The part of a `pg.Pool` in pipeline mode that the pipelined push uses. */
export interface PipelinedPool {
  connect(): Promise<PipelinedClient>
}

export interface PipelinedClient {
  /** Sent at once, even while earlier queries are still running. */
  query(sql: string, parameters: unknown[]): Promise<{ rows: unknown[]; command: string }>
  release(destroy?: Error | boolean): void
  /** pg's protocol connection; its socket is corked so a batch leaves in one write. */
  readonly connection?: { stream?: { cork?: () => void; uncork?: () => void } }
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
