// A fresh app outside the workspace, built from the packed tarballs as a new user would: the
// helpers that pack, install and run commands there (packaging.test.ts drives them).
import { type ChildProcess, spawn } from 'node:child_process'
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'

export const ROOT = resolve(import.meta.dirname, '../..')
export const PACKAGES = ['protocol', 'client', 'server', 'react'] as const

export interface Output {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * The environment a user's shell would have: none of the npm_* variables `npm test` sets (they
 * would point npm at this workspace) and no NODE_OPTIONS from the test runner (its conditions
 * would send Node to the packages' TypeScript sources, which the tarballs do not hold).
 */
export const cleanEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env))
    if (!/^npm_/i.test(key) && key !== 'NODE_OPTIONS' && key !== 'NODE_ENV') env[key] = value
  return { ...env, ...extra }
}

/** Runs a command to its end; never throws, so callers can assert on failures too. */
export const run = (cmd: string, args: string[], cwd: string, env = cleanEnv()): Promise<Output> =>
  new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk
    })
    child.on('error', reject)
    child.on('close', (code) => resolveRun({ code, stdout, stderr }))
  })

/** Runs a command that must succeed; a failure throws with everything it printed. */
export const runOk = async (cmd: string, args: string[], cwd: string, env = cleanEnv()) => {
  const out = await run(cmd, args, cwd, env)
  if (out.code !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} (in ${cwd}) exited ${out.code}\n${out.stdout}\n${out.stderr}`,
    )
  return out
}

export interface Packed {
  name: string
  filename: string
  /** Absolute path of the tarball. */
  path: string
  /** Tarball bytes. */
  size: number
  files: string[]
}

/** `npm pack` of every package (built beforehand) into `dest`. */
export const packAll = async (dest: string): Promise<Packed[]> => {
  const workspaces = PACKAGES.flatMap((name) => ['-w', `packages/${name}`])
  const out = await runOk(
    'npm',
    ['pack', '--json', '--pack-destination', dest, ...workspaces],
    ROOT,
  )
  const packed = JSON.parse(out.stdout) as Array<
    Omit<Packed, 'files'> & { files: Array<{ path: string }> }
  >
  return packed.map((p) => ({
    ...p,
    path: join(dest, p.filename),
    files: p.files.map((f) => f.path),
  }))
}

/** The version of a dependency this workspace has installed, so the app gets the same one. */
const installed = async (name: string): Promise<string> => version(join(ROOT, 'node_modules', name))

const version = async (dir: string): Promise<string> =>
  (JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { version: string }).version

/**
 * Writes the app's package.json (the tarballs, and third-party packages at the workspace's
 * versions, which keeps `--prefer-offline` in the npm cache) and installs it.
 */
export const installApp = async (app: string, tarballs: Packed[]): Promise<void> => {
  const tgz = Object.fromEntries(tarballs.map((p) => [p.name, `file:${p.path}`]))
  const pin = async (names: string[]) =>
    Object.fromEntries(await Promise.all(names.map(async (n) => [n, await installed(n)])))
  const pkg = {
    name: 'tidings-fresh-app',
    private: true,
    type: 'module',
    dependencies: { ...tgz, ...(await pin(['react', 'react-dom'])) },
    devDependencies: await pin([
      'vite',
      '@vitejs/plugin-react',
      'typescript',
      '@types/react',
      '@types/react-dom',
    ]),
  }
  await writeFile(join(app, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`)
  // Install scripts off: better-sqlite3's would fetch a prebuilt binary from GitHub (not
  // reachable here) or compile SQLite for minutes. Its native module is taken from the
  // workspace instead: same version, same Node, same machine.
  await runOk(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'],
    app,
  )
  await reuseNativeBuild(app, 'better-sqlite3', 'build/Release/better_sqlite3.node')
}

/**
 * An app with only `@tidings/client` (and the protocol it depends on): what a Node user gets
 * before installing the optional peer better-sqlite3.
 */
export const installClientOnly = async (dir: string, tarballs: Packed[]): Promise<void> => {
  const wanted = ['@tidings/protocol', '@tidings/client']
  const paths = tarballs.filter((p) => wanted.includes(p.name)).map((p) => p.path)
  await writeFile(join(dir, 'package.json'), '{ "name": "client-only", "type": "module" }\n')
  await runOk(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', ...paths],
    dir,
  )
}

const reuseNativeBuild = async (app: string, name: string, file: string): Promise<void> => {
  const ours = join(ROOT, 'node_modules', name)
  const theirs = join(app, 'node_modules', name)
  if ((await version(ours)) !== (await version(theirs))) {
    await runOk('npm', ['rebuild', name], app) // another version: build it the slow way
    return
  }
  await mkdir(dirname(join(theirs, file)), { recursive: true })
  await copyFile(join(ours, file), join(theirs, file))
}

export interface Served {
  url: string
  stop(): Promise<void>
}

/** `npx tidings serve … --port 0` in the app; resolves with its URL once it listens. */
export const serveTidings = (app: string, args: string[]): Promise<Served> =>
  new Promise((resolveServe, reject) => {
    const child = spawn('npx', ['tidings', 'serve', '--port', '0', '--quiet', ...args], {
      cwd: app,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: npx runs the bin as a child, and `stop` signals both.
      detached: true,
    })
    let output = ''
    const onData = (chunk: Buffer) => {
      output += chunk
      const url = /Tidings listening on (http:\/\/\S+)/.exec(output)?.[1]
      if (url) {
        child.stdout?.off('data', onData)
        resolveServe({ url, stop: () => stop(child) })
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk
    })
    child.on('error', reject)
    child.on('exit', (code) => reject(new Error(`tidings serve exited ${code}:\n${output}`)))
  })

const stop = (child: ChildProcess): Promise<void> =>
  new Promise((resolveStop) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolveStop()
    child.once('exit', () => resolveStop())
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM')
  })
