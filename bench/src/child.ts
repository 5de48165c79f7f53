import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Collectable } from './gc.js'
import type { ServerReady, ServerSpec } from './server-process.js'

/**
 * Runs a bench script in a new Node process with the same flags (tsx, source exports,
 * `--expose-gc`) and an IPC channel, over which a server process is asked to collect its heap.
 */
export const spawnScript = (file: string, args: string[]): ChildProcess =>
  spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(new URL(file, import.meta.url)), ...args],
    { stdio: ['pipe', 'pipe', 'inherit', 'ipc'] },
  )

/**
 * The first stdout line of `child`, parsed as JSON; rejects if the child dies first. Later
 * output is drained (and ignored) so the child never blocks on a full pipe.
 */
export const firstLine = <T>(child: ChildProcess, what: string, timeoutMs = 120_000): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    let buffer = ''
    const done = (): void => {
      clearTimeout(timer)
      child.off('exit', onExit)
      child.stdout?.off('data', onData)
      child.stdout?.resume()
    }
    const onExit = (code: number | null, signal: string | null): void => {
      done()
      reject(new Error(`${what}: ${signal ?? `exit ${code}`} before answering`))
    }
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString()
      const end = buffer.indexOf('\n')
      if (end < 0) return
      done()
      try {
        const line = JSON.parse(buffer.slice(0, end)) as T | { error: string }
        if (line && typeof line === 'object' && 'error' in line)
          reject(new Error(`${what}: ${line.error}`))
        else resolve(line as T)
      } catch (error) {
        reject(new Error(`${what}: unreadable answer ${buffer.slice(0, 200)}`, { cause: error }))
      }
    }
    const timer = setTimeout(() => {
      done()
      reject(new Error(`${what}: no answer after ${timeoutMs} ms`))
    }, timeoutMs)
    child.on('exit', onExit)
    child.stdout?.on('data', onData)
  })

/** Current and peak resident set of a process, MiB (Linux `/proc`). */
export const rssOf = (pid: number): { rss: number; peak: number } => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (key: string): number =>
    Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN)
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 }
}

export interface ServerHandle extends ServerReady, Collectable {
  pid: number
  stop(): Promise<void>
  /** The read model's lags since the last call (a server spawned with `readModel: 'lag'`). */
  readModelLag(): Promise<{ lags: number[]; waiting: number }>
}

/** Asks a server process for its read model's lags (see server-process.ts). */
const lagIn = (child: ChildProcess, what: string): Promise<{ lags: number[]; waiting: number }> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage)
      reject(new Error(`${what}: no answer to a lag request after 30 s`))
    }, 30_000)
    const onMessage = (message: unknown): void => {
      const m = message as { lag?: { lags: number[]; waiting: number } | null }
      if (m?.lag === undefined) return
      clearTimeout(timer)
      child.off('message', onMessage)
      if (m.lag === null) reject(new Error(`${what}: no read model`))
      else resolve(m.lag)
    }
    child.on('message', onMessage)
    child.send({ lag: true })
  })

/**
 * Asks a server process for a full collection and waits until it is done; rejects when the
 * process cannot (no `--expose-gc`) or does not answer.
 */
const collectIn = (child: ChildProcess, what: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage)
      reject(new Error(`${what}: no answer to a GC request after 30 s`))
    }, 30_000)
    const onMessage = (message: unknown): void => {
      const m = message as { gc?: 'done' | string }
      if (m?.gc === undefined) return
      clearTimeout(timer)
      child.off('message', onMessage)
      if (m.gc === 'done') resolve()
      else reject(new Error(`${what}: ${m.gc}`))
    }
    child.on('message', onMessage)
    child.send({ gc: true })
  })

/** Starts a server (Tidings or the bare framework route) in its own process. */
export const startServerProcess = async (spec: ServerSpec): Promise<ServerHandle> => {
  const child = spawnScript('./server-process.ts', [JSON.stringify(spec)])
  const ready = await firstLine<ServerReady>(child, `server (${spec.kind} ${spec.db ?? ''})`).catch(
    (error: unknown) => {
      child.kill('SIGKILL')
      throw error
    },
  )
  const pid = child.pid as number
  let stopping = false
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      if (!stopping)
        console.error(
          `server process ${pid} (${spec.kind} ${spec.db ?? ''}) died: ${signal ?? `exit ${code}`}`,
        )
      resolve()
    })
  })
  const what = `server (${spec.kind} ${spec.db ?? ''})`
  const stop = async (): Promise<void> => {
    running.delete(stop)
    stopping = true
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin?.end()
      const force = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(force)
    }
  }
  running.add(stop)
  return {
    ...ready,
    pid,
    collect: () => collectIn(child, what),
    readModelLag: () => lagIn(child, what),
    stop,
  }
}

const running = new Set<() => Promise<void>>()

/** Stops every server process still running (an interrupted or failed run). */
export const stopServers = async (): Promise<void> => {
  await Promise.all([...running].map((stop) => stop()))
}

/** Runs `fn` with a server process and always stops it. */
export const withServer = async <T>(
  spec: ServerSpec,
  fn: (server: ServerHandle) => Promise<T>,
): Promise<T> => {
  const server = await startServerProcess(spec)
  try {
    return await fn(server)
  } finally {
    await server.stop()
  }
}
