import { TidingsError } from '@tidings/protocol'
import { Migrator } from 'kysely'
import type { Backend } from './dialects/family.js'
import { migrationProvider } from './migrations/index.js'

/**
 * Opens the database a URL names and migrates it to the latest schema:
 * `memory`, `sqlite:PATH` (`sqlite::memory:`), `postgres://…`, `pglite:memory`, `pglite:DIR`.
 * Drivers load lazily, so a SQLite server never loads Postgres code and vice versa.
 */
export const openBackend = async (url: string): Promise<Backend> => {
  const backend = await connect(url)
  try {
    await migrate(backend)
  } catch (err) {
    await backend.db.destroy()
    throw err
  }
  return backend
}

const connect = async (url: string): Promise<Backend> => {
  if (url === 'memory') return (await import('./dialects/sqlite-backend.js')).openSqlite(':memory:')
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length)
    if (path === '') throw badUrl(url)
    return (await import('./dialects/sqlite-backend.js')).openSqlite(path)
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://'))
    return (await import('./dialects/postgres-backend.js')).openPostgres(url)
  if (url.startsWith('pglite:')) {
    const dir = url.slice('pglite:'.length)
    if (dir === '') throw badUrl(url)
    return (await import('./dialects/pglite-backend.js')).openPglite(
      dir === 'memory' ? undefined : dir,
    )
  }
  throw badUrl(url)
}

/**
 * Kysely's SQLite adapter takes no cross-process migration lock, so two processes opening one
 * new file can race (`table "users" already exists`). Each migration runs in a transaction, so
 * the loser rolled back cleanly: running again finds the winner's work done.
 */
const MIGRATION_ATTEMPTS = 3

const migrate = async (backend: Backend): Promise<void> => {
  const migrator = new Migrator({ db: backend.db, provider: migrationProvider(backend.family) })
  let outcome = await migrator.migrateToLatest()
  for (let attempt = 1; outcome.error && attempt < MIGRATION_ATTEMPTS; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 50 * attempt))
    outcome = await migrator.migrateToLatest()
  }
  const { error, results } = outcome
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName
    const reason = error instanceof Error ? error.message || String(error) : String(error)
    throw new TidingsError(
      'unavailable',
      `cannot ${failed ? `run migration ${failed} on` : 'open'} ${backend.description}: ${reason}`,
      {
        cause: error,
      },
    )
  }
}

const badUrl = (url: string): TidingsError =>
  new TidingsError(
    'bad_request',
    `unknown database URL ${JSON.stringify(url)}: use memory, sqlite:PATH, postgres://…, pglite:memory or pglite:DIR`,
  )
