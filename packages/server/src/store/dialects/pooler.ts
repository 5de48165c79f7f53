import type { PipelinedClient, PipelinedPool } from './family.js'

/**
 * How the server reaches Postgres: directly (or through a session-mode pooler), or through a
 * transaction-mode pooler (PgBouncer `pool_mode=transaction`, and hosted poolers that work the
 * same way), named in the database URL as `?pooler=transaction`. Behind one, consecutive
 * transactions of one client connection may run on different server connections, so:
 * - named prepared statements (parsed once per connection, the push path's speed-up) would be
 *   missing or stale on the next one: every statement goes unnamed;
 * - `LISTEN` holds no session: live pokes need a direct URL of their own (`--listen-db`).
 */
export type Pooler = 'session' | 'transaction'

/** The URL without `pooler=` (pg would send it to Postgres as a setting), and the mode. */
export const readPooler = (url: string): { url: string; pooler: Pooler } => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return { url, pooler: 'session' }
  }
  const mode = parsed.searchParams.get('pooler')
  if (mode === null) return { url, pooler: 'session' }
  parsed.searchParams.delete('pooler')
  if (mode !== 'transaction' && mode !== 'session')
    throw new Error(`pooler=${mode}: use pooler=transaction or pooler=session`)
  return { url: parsed.toString(), pooler: mode }
}

/** The pipelined pool with every statement sent unnamed (see `Pooler`). */
export const unnamedStatements = (pool: PipelinedPool): PipelinedPool => ({
  async connect(): Promise<PipelinedClient> {
    const client = await pool.connect()
    const query = (
      statement: string | { name: string; text: string; values: unknown[] },
      parameters?: unknown[],
    ) =>
      typeof statement === 'string'
        ? client.query(statement, parameters ?? [])
        : client.query(statement.text, statement.values)
    return {
      query: query as PipelinedClient['query'],
      release: (destroy) => client.release(destroy),
      ...(client.connection && { connection: client.connection }),
    }
  },
})
