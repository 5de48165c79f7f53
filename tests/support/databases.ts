import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { required } from '../../packages/server/src/testing/required.js'
import { ROOT } from './server-process.js'

/** Where a Postgres server is expected; `TIDINGS_PG_URL` overrides it. */
export const PG_ADMIN_URL = process.env.TIDINGS_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

export interface TempDatabase {
  /** A `--db` URL for the server. */
  url: string
  /** Which backend this is, for the report. */
  kind: 'sqlite' | 'postgres' | 'pglite'
  drop(): Promise<void>
}

export const tempDir = (prefix: string): { dir: string; remove(): void } => {
  const dir = mkdtempSync(path.join(os.tmpdir(), `tidings-${prefix}-`))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

export const tempSqlite = (): TempDatabase => {
  const { dir, remove } = tempDir('sqlite')
  return {
    url: `sqlite:${path.join(dir, 'server.db')}`,
    kind: 'sqlite',
    drop: async () => remove(),
  }
}

let reachable: Promise<boolean> | undefined

/**
 * Runs one SQL statement as the admin, in a plain child `node`: vitest runs its workers with
 * `--conditions import`, under which `require('pg')` loads pg-pool's ESM wrapper and breaks.
 */
const adminSql = (sql: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const script =
      "const pg=require('pg');const c=new pg.Client({connectionString:process.argv[1],connectionTimeoutMillis:3000});" +
      'c.connect().then(()=>c.query(process.argv[2])).then(()=>c.end(),(e)=>{console.error(e.message);process.exit(1)})'
    execFile(
      process.execPath,
      ['-e', script, PG_ADMIN_URL, sql],
      { cwd: ROOT, timeout: 30_000 },
      (err, _out, stderr) =>
        err ? reject(new Error(`${sql}: ${stderr || err.message}`)) : resolve(),
    )
  })

/** Whether the Postgres at `PG_ADMIN_URL` answers (asked once per process). */
export const postgresReachable = (): Promise<boolean> => {
  reachable ??= adminSql('select 1').then(
    () => true,
    () =>
      required(
        false,
        `no Postgres at ${PG_ADMIN_URL}`,
        'suites that can fall back run the Postgres dialect on PGlite, the others skip',
      ),
  )
  return reachable
}

/**
 * A fresh, empty Postgres database (dropped after), or, when no Postgres answers, a PGlite
 * directory so the Postgres dialect still runs; says which on the console.
 */
export const tempPostgres = async (label: string): Promise<TempDatabase> => {
  if (await postgresReachable()) {
    const name = `tidings_${label}_${process.pid}_${Math.floor(Math.random() * 1e9)}`.toLowerCase()
    await adminSql(`create database "${name}"`)
    const url = new URL(PG_ADMIN_URL)
    url.pathname = `/${name}`
    return {
      url: url.toString(),
      kind: 'postgres',
      drop: () => adminSql(`drop database if exists "${name}" with (force)`),
    }
  }
  console.warn(`[tests] no Postgres at ${PG_ADMIN_URL}: running ${label} on PGlite instead`)
  const { dir, remove } = tempDir('pglite')
  return { url: `pglite:${dir}`, kind: 'pglite', drop: async () => remove() }
}
