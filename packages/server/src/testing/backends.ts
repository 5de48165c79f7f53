import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { required } from './required.js'

/** The Postgres the tests use when it is reachable (trust auth on 127.0.0.1). */
export const TEST_POSTGRES_URL =
  process.env.TIDINGS_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test'

/** A database for one test file: its URL and how to throw it away. */
export interface TestDatabase {
  url: string
  dispose(): Promise<void>
}

export interface TestBackend {
  name: string
  create(): Promise<TestDatabase>
}

const nothing = async (): Promise<void> => {}

export const postgresReachable = async (url = TEST_POSTGRES_URL): Promise<boolean> => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_500 })
  try {
    await client.connect()
    await client.query('select 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** A fresh database `tidings_test_<random>` on the test server, dropped by `dispose`. */
export const freshPostgres = async (adminUrl = TEST_POSTGRES_URL): Promise<TestDatabase> => {
  const name = `tidings_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    await admin.query(`create database ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async dispose() {
      const client = new pg.Client({ connectionString: adminUrl })
      await client.connect()
      try {
        await client.query(`drop database if exists ${name} with (force)`)
      } finally {
        await client.end()
      }
    },
  }
}

export const tempSqlite = async (): Promise<TestDatabase> => {
  const dir = await mkdtemp(join(tmpdir(), 'tidings-test-'))
  return {
    url: `sqlite:${join(dir, 'server.db')}`,
    dispose: () => rm(dir, { recursive: true, force: true }),
  }
}

const hasPostgres = required(
  await postgresReachable(),
  `Postgres at ${TEST_POSTGRES_URL} is not reachable`,
  'only PGlite covers the Postgres dialect in this run; the real-Postgres tests are skipped',
)

/** Every backend the conformance suite runs on; real Postgres only when reachable. */
export const TEST_BACKENDS: TestBackend[] = [
  { name: 'sqlite :memory:', create: async () => ({ url: 'memory', dispose: nothing }) },
  { name: 'sqlite file', create: tempSqlite },
  { name: 'pglite', create: async () => ({ url: 'pglite:memory', dispose: nothing }) },
  ...(hasPostgres ? [{ name: 'postgres', create: () => freshPostgres() }] : []),
]

export { hasPostgres }
