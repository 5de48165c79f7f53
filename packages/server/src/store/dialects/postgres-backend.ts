import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { Database } from '../schema.js'
import type { Backend, PipelinedPool } from './family.js'
import { readPooler, unnamedStatements } from './pooler.js'

/** Postgres through a `pg` pool: the production backend, shared by any number of nodes. */
export const openPostgres = (
  databaseUrl: string,
  options: { poolSize?: number; connectTimeoutMs?: number } = {},
): Backend => {
  const { url, pooler } = readPooler(databaseUrl)
  // Pipeline mode sends a query without waiting for the previous answer: the push path sends
  // a transaction's statements in two batches instead of five round trips. Kysely's own
  // queries await each answer, so they run exactly as without it.
  // A bounded wait for a connection: a request queued behind an exhausted pool (or a database
  // that does not answer) fails as 503 `unavailable` instead of hanging its client forever.
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 20,
    pipeline: true,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
  })
  // An idle connection that dies (Postgres restarted, database dropped) must not crash the
  // server: the pool replaces it on next use. Without a listener, Node would throw.
  // The warning itself comes from the connection's own listener below (once, not twice).
  pool.on('error', () => undefined)
  // A connection that dies while checked out (Postgres restarted, backend terminated) emits
  // 'error' too, and pg's pool listens only while it is idle: without this listener the
  // process crashed (an unhandled 'error' event, seen under pg_terminate_backend). Nothing
  // is lost: pg fails every query in flight on it with this error (the store retries or the
  // request answers 503) and the pool discards the client on release.
  pool.on('connect', (client) => {
    client.on('error', (err) => process.emitWarning(`Postgres connection failed: ${err.message}`))
  })
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return {
    family: 'postgres',
    db,
    description: redactPassword(url),
    pipelined:
      pooler === 'transaction'
        ? unnamedStatements(pool as unknown as PipelinedPool)
        : (pool as unknown as PipelinedPool),
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
