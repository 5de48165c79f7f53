import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root, whatever the working directory of the test run. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const CLI = path.join(ROOT, 'packages/server/src/cli.ts')
const NODE_ARGS = ['--import', 'tsx', '--conditions=@tidings/source', CLI]
const READY = /Tidings listening on (http:\/\/\S+)/

/** Servers still running: killed when this process exits, so a timed-out test leaves none. */
const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const proc of running) proc.kill('SIGKILL')
})

export interface ServerProcess {
  readonly url: string
  readonly port: number
  readonly pid: number
  /** Everything the process wrote to stdout and stderr, across restarts. */
  logs(): string
  /** Resident set size of the process, bytes (Linux `/proc`). */
  rssBytes(): number
  /** True while the process runs. */
  alive(): boolean
  /** SIGKILL: no shutdown hook runs, as in a power cut. */
  kill(): Promise<void>
  /** SIGTERM and wait: graceful shutdown. */
  stop(): Promise<void>
  /** Starts the same command again, on the same port when it is free, else a new one. */
  restart(): Promise<void>
}

export interface ServeOptions {
  db: string
  port?: number
  extraArgs?: string[]
  /** Flags for node itself, e.g. `--cpu-prof` to profile the server under load. */
  nodeArgs?: string[]
  env?: Record<string, string>
}

/**
 * Runs `tidings serve` from source as a child process and waits for its ready line. The
 * child gets its own process group, so a kill takes its whole tree with it.
 */
export const spawnServer = async (options: ServeOptions): Promise<ServerProcess> => {
  let output = ''
  let child: ChildProcess
  let url = ''
  let port = options.port ?? 0

  const start = async (wantedPort: number): Promise<void> => {
    const args = [
      ...(options.nodeArgs ?? []),
      ...NODE_ARGS,
      'serve',
      '--port',
      String(wantedPort),
      '--db',
      options.db,
      ...(options.extraArgs ?? []),
    ]
    child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const proc = child
    running.add(proc)
    proc.once('exit', () => running.delete(proc))
    url = await new Promise<string>((resolve, reject) => {
      let seen = ''
      const timer = setTimeout(
        () => reject(new Error(`server did not start in 60 s:\n${seen}`)),
        60_000,
      )
      const onData = (chunk: Buffer) => {
        const text = chunk.toString()
        output += text
        seen += text
        const m = READY.exec(seen)
        if (m) {
          clearTimeout(timer)
          resolve(m[1] as string)
        }
      }
      proc.stdout?.on('data', onData)
      proc.stderr?.on('data', onData)
      proc.once('exit', (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`server exited (${code ?? signal}) before it was ready:\n${seen}`))
      })
    })
    port = Number(new URL(url).port)
  }

  const exited = (proc: ChildProcess): Promise<void> =>
    proc.exitCode !== null || proc.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => proc.once('exit', () => resolve()))

  await start(port)

  return {
    get url() {
      return url
    },
    get port() {
      return port
    },
    get pid() {
      return child.pid ?? -1
    },
    logs: () => output,
    rssBytes: () => rssOf(child.pid ?? -1),
    alive: () => child.exitCode === null && child.signalCode === null,
    kill: async () => {
      const proc = child
      proc.kill('SIGKILL')
      await exited(proc)
    },
    stop: async () => {
      const proc = child
      if (proc.exitCode !== null || proc.signalCode !== null) return
      proc.kill('SIGTERM')
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000)
      await exited(proc)
      clearTimeout(timer)
    },
    restart: async () => {
      try {
        await start(port)
      } catch (err) {
        // The old port can be taken in the meantime; a new one is as good (the proxy follows).
        if (!/EADDRINUSE/.test(String(err))) throw err
        await start(0)
      }
    },
  }
}

const rssOf = (pid: number): number => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(status)
  if (!m) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(m[1]) * 1024
}

/** Runs a `tidings` CLI command (e.g. `user add NAME --json`) from source; answers stdout. */
export const tidingsCli = (args: string[]): Promise<string> =>
  new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...NODE_ARGS, ...args],
      { cwd: ROOT, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`tidings ${args.join(' ')} failed: ${err.message}\n${stderr}`))
        else resolve(stdout)
      },
    )
  })

export interface User {
  id: string
  name: string
  token: string
}

/** `tidings user add NAME --db URL --json`: a fresh user and its token. */
export const addUser = async (db: string, name: string): Promise<User> => {
  const out = await tidingsCli(['user', 'add', name, '--db', db, '--json'])
  const line = out
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'))
  if (!line) throw new Error(`tidings user add printed no JSON: ${out}`)
  return JSON.parse(line) as User
}
