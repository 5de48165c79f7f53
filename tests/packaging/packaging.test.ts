// Issue 18: the packages as a user gets them. Packs every package, installs the tarballs into a
// fresh app in the OS temp dir (outside the workspace, so nothing resolves from it), and there:
// syncs two Node clients through `npx tidings serve`, type-checks the schema inference, and
// builds `tidings init`'s starter app with Vite and syncs a note between two Chromium pages.
import { existsSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM, CHROMIUM_FLAGS } from '../e2e/chromium.js'
import {
  cleanEnv,
  installApp,
  installClientOnly,
  PACKAGES,
  type Packed,
  packAll,
  ROOT,
  run,
  runOk,
  serveTidings,
} from './fresh-app.js'

const FIXTURES = join(import.meta.dirname, 'fixtures')
/** A strict Node project as `tsc --init` would start one. */
const TYPED_OPTIONS = {
  target: 'es2022',
  module: 'nodenext',
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: [],
}
const started = Date.now()
let work = ''
let app = ''
let clientOnly = ''
let packed: Packed[] = []

const step = (what: string) => console.log(`packaging: ${what} (${elapsed()})`)
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tidings-packaging-'))
  app = join(work, 'app')
  await mkdir(app)
  step(`fresh app in ${app}`)
  // `npm test` has just built; run alone, this brings any stale build up to date first.
  await runOk('npx', ['tsc', '-b', ...PACKAGES.map((name) => `packages/${name}`)], ROOT)
  packed = await packAll(work)
  console.table(packed.map((p) => ({ tarball: p.filename, kB: +(p.size / 1024).toFixed(1) })))
  clientOnly = join(work, 'client-only')
  await mkdir(clientOnly)
  await Promise.all([installApp(app, packed), installClientOnly(clientOnly, packed)])
  step('installed the tarballs')
})

afterAll(async () => {
  if (work && !process.env.TIDINGS_KEEP_APP) await rm(work, { recursive: true, force: true })
  console.log(`packaging: done in ${elapsed()}`)
})

describe('the packed packages', () => {
  it('hold what an app needs and nothing else', () => {
    expect(packed.map((p) => p.name).sort()).toEqual(PACKAGES.map((n) => `@tidings/${n}`).sort())
    for (const p of packed) {
      const strays = p.files.filter((f) => /\.test\.|(^|\/)(test|testing)(\/|\.)|\.map$/.test(f))
      expect({ package: p.name, strays }).toEqual({ package: p.name, strays: [] })
      for (const file of ['LICENSE', 'README.md', 'package.json'])
        expect({ package: p.name, file, shipped: p.files.includes(file) }).toEqual({
          package: p.name,
          file,
          shipped: true,
        })
    }
  })

  it('point every export, type and bin at a file they ship', async () => {
    for (const name of PACKAGES) {
      const dir = join(app, 'node_modules/@tidings', name)
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
        exports: Record<string, Record<string, string>>
        bin?: Record<string, string>
        engines?: unknown
        sideEffects?: unknown
      }
      expect({ name, engines: pkg.engines !== undefined }).toEqual({ name, engines: true })
      expect({ name, sideEffects: pkg.sideEffects !== undefined }).toEqual({
        name,
        sideEffects: true,
      })
      const targets = Object.entries(pkg.exports).flatMap(([entry, conditions]) => {
        expect({ name, entry, types: typeof conditions.types }).toEqual({
          name,
          entry,
          types: 'string',
        })
        return [conditions.types, conditions.default]
      })
      for (const target of [...targets, ...Object.values(pkg.bin ?? {})])
        expect({ name, target, shipped: existsSync(join(dir, target as string)) }).toEqual({
          name,
          target,
          shipped: true,
        })
    }
  })

  it('without better-sqlite3, say which package to install', async () => {
    const script = `import('@tidings/client/node').then(({ openNodeDatabase }) => {
      try { openNodeDatabase(':memory:') } catch (e) { console.log(e.code, e.details.missingPackage, e.message) }
    })`
    const out = await runOk('node', ['--input-type=module', '-e', script], clientOnly)
    expect(out.stdout).toContain(
      'internal better-sqlite3 @tidings/client/node needs better-sqlite3, which is not installed: npm install better-sqlite3',
    )
  })

  it('declare what the app owns as peers', async () => {
    const read = async (name: string) =>
      JSON.parse(await readFile(join(app, 'node_modules/@tidings', name, 'package.json'), 'utf8'))
    const react = await read('react')
    expect(react.dependencies?.react).toBeUndefined()
    expect(react.peerDependencies.react).toBeDefined()
    const client = await read('client')
    expect(client.peerDependencies['better-sqlite3']).toBeDefined()
    expect(client.peerDependenciesMeta['better-sqlite3']).toEqual({ optional: true })
  })
})

describe('in a fresh app', () => {
  it('syncs two Node clients through `npx tidings serve` on a SQLite file', async () => {
    const db = `sqlite:${join(work, 'node-server.db')}`
    const user = await runOk('npx', ['tidings', 'user', 'add', 'alice', '--json', '--db', db], app)
    const { token } = JSON.parse(user.stdout) as { token: string }
    const server = await serveTidings(app, ['--db', db])
    try {
      await copyFile(join(FIXTURES, 'sync-two-clients.mjs'), join(app, 'sync-two-clients.mjs'))
      const out = await runOk('node', ['sync-two-clients.mjs', server.url, token, work], app)
      expect(out.stdout).toContain('synced: ')
      expect(out.stdout).toContain('"title":"Notes on the Engine"')
    } finally {
      await server.stop()
    }
    step('two Node clients synced')
  })

  it('type-checks against the schema: a right field compiles, a wrong one does not', async () => {
    for (const file of ['typed-ok.ts', 'typed-bad.ts'])
      await copyFile(join(FIXTURES, file), join(app, file))
    const tsc = async (file: string) => {
      const config = join(app, `tsconfig.${file}.json`)
      await writeFile(config, JSON.stringify({ compilerOptions: TYPED_OPTIONS, files: [file] }))
      return run('npx', ['tsc', '-p', config], app)
    }
    // Side by side: each tsc spends most of its time loading the same declarations.
    const [good, bad] = await Promise.all([tsc('typed-ok.ts'), tsc('typed-bad.ts')])
    expect(good.stdout + good.stderr).toBe('')
    expect(good.code).toBe(0)
    expect(bad.code).not.toBe(0)
    expect(bad.stdout).toContain(
      "typed-bad.ts(15,64): error TS2322: Type 'number' is not assignable to type 'string'.",
    )
    step('type-checked the good and the bad file')
  })
})

describe('the starter app of `npx tidings init`, built with Vite', () => {
  let dist = ''

  it('is written, type-checks and builds', async () => {
    const init = await runOk('npx', ['tidings', 'init'], app)
    expect(init.stdout).toContain('wrote src/main.tsx')
    await runOk('npx', ['tsc', '-p', 'tsconfig.json'], app)
    // Production React, as an app ships it (vitest's NODE_ENV=test is not passed on).
    await runOk('npx', ['vite', 'build'], app, cleanEnv({ NODE_ENV: 'production' }))
    dist = join(app, 'dist')
    const assets = await readdir(join(dist, 'assets'))
    const rows = await Promise.all(
      assets.map(async (file) => {
        const bytes = await readFile(join(dist, 'assets', file))
        return { file, kB: kB(bytes.length), gzipKB: kB(gzipSync(bytes).length) }
      }),
    )
    console.log('packaging: the browser bundle the fresh app ships')
    console.table(rows)
    console.log(
      `packaging: total gzip ${rows.reduce((sum, row) => sum + row.gzipKB, 0).toFixed(1)} kB`,
    )
    expect(assets.some((file) => file.endsWith('.wasm'))).toBe(true)
    expect(assets.some((file) => /worker.*\.js$/.test(file))).toBe(true)
    step('built the starter app')
  })

  const chromiumHere = existsSync(CHROMIUM)
  if (!chromiumHere && !process.env.CI)
    console.warn(
      `packaging: skipping the browser check: ${CHROMIUM} is missing (apt-get install chromium)`,
    )

  it.skipIf(!chromiumHere && !process.env.CI)(
    'syncs a note between two pages in Chromium',
    async () => {
      if (!chromiumHere) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`)
      if (!dist) throw new Error('the starter app did not build (see above)')
      const db = `sqlite:${join(work, 'browser-server.db')}`
      const server = await serveTidings(app, ['--db', db, '--demo', '--static', dist])
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS })
      try {
        // Two contexts: two devices, each with storage of its own.
        const [a, b] = await Promise.all(
          [1, 2].map(async (n) => {
            const page = await (await browser.newContext()).newPage()
            page.on('pageerror', (error) => console.error(`[page ${n}]`, error))
            await page.goto(server.url)
            await page.getByRole('form', { name: 'New note' }).waitFor()
            return page
          }),
        )
        if (!a || !b) throw new Error('no pages')
        await a.getByLabel('Text').fill('Hello from page A')
        await a.getByRole('button', { name: 'Add' }).click()
        const notes = (page: typeof a) => page.getByRole('list', { name: 'Notes' })
        await notes(a).getByText('Hello from page A').waitFor({ timeout: 10_000 })
        await notes(b).getByText('Hello from page A').waitFor({ timeout: 20_000 })
      } finally {
        await browser.close()
        await server.stop()
      }
      step('a note synced between two Chromium pages')
    },
  )
})

const kB = (bytes: number) => +(bytes / 1024).toFixed(1)
