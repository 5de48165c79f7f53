import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { Database } from '../schema.js'
import type { Backend, PipelinedPool } from './family.js'

/** Postgres through a `pg` pool: the production backend, shared by any number of nodes. */
export const openPostgres = (url: string, options: { poolSize?: number } = {}): Backend => {
  // Pipeline mode sends a query without waiting for the previous answer: the push path sends
  // a transaction's statements in two batches instead of five round trips. Kysely's own
  // queries await each answer, so they run exactly as without it.
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 20, pipeline: true })
  // An idle connection that dies (Postgres restarted, database dropped) must not crash the
  // server: the pool replaces it on next use. Without a listener, Node would throw.
  pool.on('error', (err) => process.emitWarning(`idle Postgres connection failed: ${err.message}`))
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return {
    family: 'postgres',
    db,
    description: redactPassword(url),
    pipelined: pool as unknown as PipelinedPool,
  }
}

const redactPassword = (url: string): string => {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'postgres'
  }
}
