import { startServer } from '@tidings/server'
import { openClient } from '../api/client.js'
import { openNodeDatabase } from '../node.js'
import type { ServerOptions } from '../sync/types.js'
import { type LibraryClient, librarySchema } from './fixtures.js'

export const POSTGRES_URL =
  process.env.TIDINGS_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test'

export type RunningServer = Awaited<ReturnType<typeof startServer>>
type ServerLimits = NonNullable<NonNullable<Parameters<typeof startServer>[0]>['limits']>

/**
 * The backends the end-to-end tests run on: an SQLite file, and real Postgres when it answers
 * (else PGlite, with a warning saying so). Users are created per test, so one Postgres
 * database is shared safely.
 */
export const startBackend = async (
  kind: 'sqlite' | 'postgres',
  limits?: ServerLimits,
): Promise<{ server: RunningServer; ran: string }> => {
  const common = { port: 0, logger: false, ...(limits && { limits }) } as const
  if (kind === 'sqlite') {
    const db = `sqlite:/tmp/tidings-client-e2e-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.db`
    return { server: await startServer({ db, ...common }), ran: 'sqlite file' }
  }
  try {
    return {
      server: await startServer({ db: POSTGRES_URL, ...common }),
      ran: 'postgres',
    }
  } catch (error) {
    console.warn(
      `Postgres at ${POSTGRES_URL} is not usable (${String(error)}); running the Postgres e2e on PGlite`,
    )
    return {
      server: await startServer({ db: 'pglite:memory', ...common }),
      ran: 'pglite',
    }
  }
}

/** A client of `token` on `server`, on an in-memory database unless a path is given. */
export const serverClient = (
  server: RunningServer,
  token: string,
  options: {
    path?: string
    now?: () => number
    monotonic?: () => number
    server?: Partial<ServerOptions>
    limits?: { maxBundlesPerRequest?: number }
  } = {},
): Promise<LibraryClient> =>
  openClient({
    schema: librarySchema,
    database: openNodeDatabase(options.path ?? ':memory:'),
    server: { url: server.url, token, backoffMs: 5, ...options.server },
    ...(options.now ? { now: options.now } : {}),
    ...(options.monotonic ? { monotonic: options.monotonic } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
  })
