import os from 'node:os'
import Database from 'better-sqlite3'
import { postgresVersion } from './pg.js'

export interface Machine {
  cpu: string
  cores: number
  memoryGiB: number
  os: string
  node: string
  sqlite: string
  postgres: string
  /** 1-minute load average when the run started: other work on the machine skews every number. */
  loadAverage: number
}

/** The facts a reader needs to compare these numbers with their own machine. */
export const describeMachine = async (): Promise<Machine> => {
  const db = new Database(':memory:')
  const sqlite = (db.prepare('select sqlite_version() as v').get() as { v: string }).v
  db.close()
  let postgres: string
  try {
    postgres = await postgresVersion()
  } catch (error) {
    postgres = `unreachable (${error instanceof Error ? error.message : String(error)})`
  }
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    sqlite: `${sqlite} (better-sqlite3)`,
    postgres,
    loadAverage: Math.round(os.loadavg()[0]! * 100) / 100,
  }
}
