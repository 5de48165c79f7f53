import pg from 'pg'

/** The team's Postgres (trust auth). `TIDINGS_BENCH_PG` overrides it. */
export const PG_URL = process.env.TIDINGS_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test'

const withAdmin = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 })
  client.on('error', (error) => console.error(`postgres admin connection: ${error.message}`))
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

export const postgresVersion = (): Promise<string> =>
  withAdmin(async (client) => {
    const { rows } = await client.query<{ server_version: string }>('show server_version')
    return rows[0]?.server_version ?? 'unknown'
  })

/** A fresh, empty database; `drop()` removes it. Throws clearly when Postgres is unreachable. */
export const tempDatabase = async (): Promise<{ url: string; drop: () => Promise<void> }> => {
  const name = `tidings_bench_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`
  try {
    await withAdmin((client) => client.query(`create database ${name}`))
  } catch (error) {
    throw new Error(
      `Postgres unreachable at ${PG_URL}: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
  const url = new URL(PG_URL)
  url.pathname = `/${name}`
  const drop = async (): Promise<void> => {
    live.delete(drop)
    await withAdmin((client) => client.query(`drop database if exists ${name} with (force)`))
  }
  live.add(drop)
  return { url: url.toString(), drop }
}

const live = new Set<() => Promise<void>>()

/** Drops every temporary database still there (an interrupted run). */
export const dropTempDatabases = async (): Promise<void> => {
  for (const drop of [...live]) await drop()
}

/** Runs `fn` against a fresh, empty database that is dropped afterwards, so runs never mix. */
export const withTempDatabase = async <T>(fn: (url: string) => Promise<T>): Promise<T> => {
  const db = await tempDatabase()
  try {
    return await fn(db.url)
  } finally {
    await db.drop()
  }
}
