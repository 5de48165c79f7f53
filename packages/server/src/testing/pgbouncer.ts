import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

/** Debian's PgBouncer (`apt-get install pgbouncer`; `.ci/run` installs it). */
export const PGBOUNCER = process.env.PGBOUNCER_PATH ?? '/usr/sbin/pgbouncer'

export interface RunningPgBouncer {
  /** The URL of `database` through PgBouncer. */
  url(database: string): string
  stop(): Promise<void>
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })

/**
 * PgBouncer in front of the test Postgres (127.0.0.1:5432, trust auth), in `pool_mode`, with
 * `serverConnections` server connections per database: a process of its own on a free port.
 */
export const startPgBouncer = async (options: {
  poolMode: 'transaction' | 'session'
  serverConnections: number
}): Promise<RunningPgBouncer> => {
  if (!existsSync(PGBOUNCER)) throw new Error(`${PGBOUNCER} is missing: apt-get install pgbouncer`)
  const dir = await mkdtemp(join(tmpdir(), 'tidings-pgbouncer-'))
  const port = await freePort()
  await writeFile(join(dir, 'users.txt'), '"postgres" ""\n')
  await writeFile(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      '* = host=127.0.0.1 port=5432',
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'users.txt')}`,
      `pool_mode = ${options.poolMode}`,
      'max_client_conn = 500',
      `default_pool_size = ${options.serverConnections}`,
      'ignore_startup_parameters = extra_float_digits',
      '',
    ].join('\n'),
  )
  // PgBouncer refuses to run as root; it drops to `postgres`, which must read the files.
  await chmod(dir, 0o755)
  const root = process.getuid?.() === 0
  const child: ChildProcess = spawn(
    PGBOUNCER,
    [...(root ? ['-u', 'postgres'] : []), join(dir, 'pgbouncer.ini')],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let log = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString()
  })
  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`
  for (let i = 0; ; i++) {
    const probe = new pg.Client({ connectionString: url('postgres'), connectionTimeoutMillis: 500 })
    try {
      await probe.connect()
      await probe.query('select 1')
      break
    } catch (error) {
      if (i >= 50 || child.exitCode !== null)
        throw new Error(`PgBouncer did not start: ${String(error)}\n${log}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    } finally {
      await probe.end().catch(() => undefined)
    }
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await exited
      }
      await rm(dir, { recursive: true, force: true })
    },
  }
}
