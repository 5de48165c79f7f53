import { type ChildProcess, execFile, spawn } from 'node:child_process'
import type { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'

/** The repository root: tsx and the workspace packages resolve from there. */
export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url))
const NODE_ARGS = ['--import', 'tsx', '--conditions=@tidings/source', CLI]

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs `tidings ARGS` from source to completion. */
export const runCli = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [...NODE_ARGS, ...args],
      { cwd: ROOT, env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
        resolve({ code, stdout, stderr })
      },
    )
  })

/** Starts `tidings serve ARGS` and resolves once it prints its listening line. */
export const startCliServer = (args: string[]): Promise<{ child: ChildProcess; url: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...NODE_ARGS, 'serve', '--port', '0', '--quiet', ...args],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let out = ''
    let err = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const match = /Tidings listening on (http:\/\/\S+)/.exec(out)
      if (match?.[1]) resolve({ child, url: match[1] })
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString()
    })
    child.on('exit', (code) =>
      reject(new Error(`tidings serve exited with ${code} before listening: ${err}`)),
    )
  })

/** Resolves when the child has exited. */
export const exited = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })

/**
 * Starts `tidings ARGS` with `input` (another command's stdout, say) piped into its stdin, as
 * a shell pipe would; collects what it prints (stdout can be piped on at the same time).
 */
export const spawnCli = (
  args: string[],
  options: { env?: Record<string, string>; input?: Readable } = {},
) => {
  const child = spawn(process.execPath, [...NODE_ARGS, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  if (options.input) options.input.pipe(child.stdin)
  else child.stdin.end()
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }))
  })
  return { child, done }
}
