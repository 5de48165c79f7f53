import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { runTidings } from './main.js'

const dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

const init = async (...args: string[]) => {
  const out: string[] = []
  const err: string[] = []
  const outcome = await runTidings(['init', ...args], {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    env: {},
  })
  return { code: outcome.code, out: out.join('\n'), err: err.join('\n') }
}

describe('tidings init', () => {
  it('writes the starter app and says how to run it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tidings-init-'))
    dirs.push(dir)
    const { code, out } = await init(dir)
    expect(code).toBe(0)
    for (const file of ['index.html', 'vite.config.ts', 'src/schema.ts', 'src/main.tsx'])
      expect(out).toContain(`wrote ${file}`)
    expect(out).toContain('npm install @tidings/client @tidings/react react react-dom')
    expect(out).toContain('npx tidings serve --demo')
    expect(await readFile(join(dir, 'src/tidings.worker.ts'), 'utf8')).toContain('hostWorker')
  })

  it('never overwrites a file that exists', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tidings-init-'))
    dirs.push(dir)
    await writeFile(join(dir, 'index.html'), 'mine')
    const { out } = await init(dir)
    expect(out).toContain('kept index.html (already there)')
    expect(await readFile(join(dir, 'index.html'), 'utf8')).toBe('mine')
  })

  it('takes one directory at most', async () => {
    const { code, err } = await init('a', 'b')
    expect(code).toBe(2)
    expect(err).toContain('unexpected argument "b"')
  })
})
