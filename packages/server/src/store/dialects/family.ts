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
  /** A named prepared statement: parsed and planned on its first use on this connection only. */
  query(statement: {
    name: string
    text: string
    values: unknown[]
  }): Promise<{ rows: unknown[]; command: string }>
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

/** SQLSTATE classes and codes that say "the database cannot serve now, try again". */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '40001', '40P01'])
const UNAVAILABLE_SOCKET = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
])
/** pg reports a lost or unobtainable connection as a plain Error with only these messages. */
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|not queryable|connection error|Cannot use a pool after calling end|Client was closed/i

/**
 * A failure of the database connection (lost, refused, pool wait timed out, server shutting
 * down, too many clients) or a transient conflict (serialization failure, deadlock): the
 * request did not happen as a whole, and the same request later may well succeed.
 */
export const isUnavailable = (err: unknown): boolean => {
  if (!(err instanceof Error)) return false
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string') {
    if (code.startsWith('08') || UNAVAILABLE_STATES.has(code) || UNAVAILABLE_SOCKET.has(code))
      return true
    if (code === 'SQLITE_BUSY') return true
  }
  return UNAVAILABLE_MESSAGE.test(err.message)
}

/**
 * An unavailable-error worth running the same work again at once: a connection that died
 * under it (the pool hands out a fresh one next) or a deadlock or serialization failure. Not a
 * refused or timed-out connect: the database is down or full, and waiting is the cure.
 */
export const isRetryable = (err: unknown): boolean => {
  if (!isUnavailable(err)) return false
  const code = (err as { code?: unknown }).code
  if (code === 'ECONNREFUSED' || code === '53300' || code === '57P03') return false
  return !/timeout exceeded when trying to connect|Cannot use a pool after calling end/i.test(
    (err as Error).message,
  )
}
