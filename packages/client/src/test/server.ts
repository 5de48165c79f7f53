import { randomBytes } from 'node:crypto'
import { startServer } from '@tidings/server'
import pg from 'pg'
import { openClient } from '../api/client.js'
import { openNodeDatabase } from '../node.js'
import type { ServerOptions } from '../sync/types.js'
import { type LibraryClient, librarySchema } from './fixtures.js'

export const POSTGRES_URL =
  process.env.TIDINGS_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test'

export type RunningServer = Awaited<ReturnType<typeof startServer>>
type ServerLimits = NonNullable<NonNullable<Parameters<typeof startServer>[0]>['limits']>

/** Runs one statement on the admin database (`POSTGRES_URL`). */
const admin = async (sql: string): Promise<void> => {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3_000 })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

/**
 * A server on a fresh Postgres database of its own, dropped when the server closes: a shared
 * database would carry the tables of whatever version of the server migrated it last (another
 * branch's migrations make it unusable).
 */
const startOnFreshPostgres = async (
  common: Parameters<typeof startServer>[0],
): Promise<RunningServer> => {
  const name = `tidings_client_${randomBytes(6).toString('hex')}`
  await admin(`create database ${name}`)
  const url = new URL(POSTGRES_URL)
  url.pathname = `/${name}`
  const drop = () => admin(`drop database if exists ${name} with (force)`)
  let server: RunningServer
  try {
    server = await startServer({ ...common, db: url.toString() })
  } catch (error) {
    await drop()
    throw error
  }
  const close = server.close.bind(server)
  return Object.assign(server, { close: () => close().finally(drop) })
}

/**
 * The backends the end-to-end tests run on: an SQLite file, and real Postgres when it answers
 * (else PGlite, with a warning saying so), on a fresh database per server.
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
      server: await startOnFreshPostgres(common),
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
