import { execFile } from 'node:child_process'
import { copyFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import { runCli } from '../../packages/server/src/testing/cli.js'
import { PG_ADMIN_URL, postgresReachable, tempDir } from './databases.js'

const run = promisify(execFile)

/**
 * A server database that can be backed up while a server runs on it and restored later, the
 * way an operator does it: `tidings backup` (SQLite's online backup API: a consistent copy of a
 * live WAL database), and `pg_dump` / `pg_restore` for Postgres.
 */
export interface Restorable {
  url: string
  kind: 'sqlite' | 'postgres'
  /** Takes a backup now (the server may be running). */
  backup(): Promise<void>
  /** Replaces the database with the last backup; the server must be stopped. */
  restore(): Promise<void>
  drop(): Promise<void>
}

export const restorableSqlite = (): Restorable => {
  const { dir, remove } = tempDir('restore')
  const file = path.join(dir, 'server.db')
  const copy = path.join(dir, 'backup.db')
  return {
    url: `sqlite:${file}`,
    kind: 'sqlite',
    async backup() {
      rmSync(copy, { force: true }) // the command never overwrites: this is the newest backup
      const done = await runCli(['backup', '--db', `sqlite:${file}`, '--out', copy])
      if (done.code !== 0) throw new Error(`tidings backup exited ${done.code}: ${done.stderr}`)
    },
    restore: async () => restoreFile(copy, file),
    drop: async () => remove(),
  }
}

const psql = (url: string, sql: string) => run('psql', [url, '-v', 'ON_ERROR_STOP=1', '-c', sql])

/** Null when no Postgres answers (the caller says so and runs SQLite only). */
export const restorablePostgres = async (): Promise<Restorable | null> => {
  if (!(await postgresReachable())) return null
  const name = `tidings_restore_${process.pid}_${Math.floor(Math.random() * 1e9)}`
  const url = new URL(PG_ADMIN_URL)
  url.pathname = `/${name}`
  const { dir, remove } = tempDir('pgdump')
  const dump = path.join(dir, 'backup.dump')
  await psql(PG_ADMIN_URL, `create database "${name}"`)
  return {
    url: url.toString(),
    kind: 'postgres',
    async backup() {
      await run('pg_dump', ['-Fc', '-f', dump, url.toString()])
    },
    async restore() {
      await psql(PG_ADMIN_URL, `drop database "${name}" with (force)`)
      await psql(PG_ADMIN_URL, `create database "${name}"`)
      await run('pg_restore', ['-d', url.toString(), dump])
    },
    async drop() {
      await psql(PG_ADMIN_URL, `drop database if exists "${name}" with (force)`)
      remove()
    },
  }
}

/**
 * A consistent copy of a live SQLite file (a device's database) through SQLite's online backup
 * API, safe while its owner keeps writing; `restoreFile` puts it back under a closed owner.
 */
export const copyLiveFile = async (file: string, copy: string): Promise<void> => {
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try {
    await db.backup(copy)
  } finally {
    db.close()
  }
}

export const restoreFile = (copy: string, file: string): void => {
  for (const suffix of ['-wal', '-shm']) rmSync(file + suffix, { force: true })
  copyFileSync(copy, file)
}
