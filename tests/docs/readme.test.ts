// The READMEs' code blocks marked `doctest` run as written against a real server: what a
// newcomer copies works. The only inputs are the environment variables the blocks themselves
// read (TIDINGS_URL, TIDINGS_TOKEN, TOKEN), pointing them at this test's server.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../../packages/server/src/server.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const READMES = [
  'README.md',
  'packages/server/README.md',
  'packages/client/README.md',
  'packages/react/README.md',
]
const run = promisify(execFile)

interface Block {
  file: string
  line: number
  lang: string
  code: string
}

/** Fenced blocks whose info string is `<lang> doctest`. */
const doctests = (file: string, text: string): Block[] => {
  const blocks: Block[] = []
  const fence = /^```(\w+) doctest\n([\s\S]*?)^```$/gm
  for (const m of text.matchAll(fence)) {
    const line = text.slice(0, m.index).split('\n').length
    blocks.push({ file, line, lang: m[1] as string, code: m[2] as string })
  }
  return blocks
}

const blocks: Block[] = []
for (const file of READMES)
  blocks.push(...doctests(file, await readFile(path.join(ROOT, file), 'utf8')))

let server: RunningServer
let token: string
let dir: string

beforeAll(async () => {
  server = await startServer({ db: 'memory', port: 0, logger: false })
  token = (await server.addUser('reader')).token
  // Inside the repository so the blocks' imports resolve to the workspace packages.
  dir = await mkdtemp(path.join(ROOT, 'tests/docs/.run-'))
})

afterAll(async () => {
  await server?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

const bundleIds = async (): Promise<string[]> => {
  const res = await fetch(`${server.url}/v1/bundle-ids`, {
    headers: { authorization: `Bearer ${token}` },
  })
  return ((await res.json()) as { ids: string[] }).ids
}

describe('README code blocks marked doctest run as written', () => {
  it('finds the blocks that claim to run', () => {
    expect(blocks.map((b) => `${b.file} (${b.lang})`)).toEqual([
      'README.md (ts)',
      'packages/server/README.md (sh)',
    ])
  })

  it.each(blocks.filter((b) => b.lang === 'ts'))('$file:$line runs with tsx', async (block) => {
    const script = path.join(dir, `block-${block.line}.ts`)
    await writeFile(script, block.code)
    const before = (await bundleIds()).length
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', '--conditions=@tidings/source', script],
      {
        cwd: dir,
        env: { ...process.env, TIDINGS_URL: server.url, TIDINGS_TOKEN: token },
        timeout: 60_000,
      },
    )
    expect(stdout).toMatch(/documents/)
    // Its writes reached the server: the block synced before it closed.
    expect((await bundleIds()).length).toBeGreaterThan(before)
  })

  it.each(blocks.filter((b) => b.lang === 'sh'))(
    '$file:$line runs with bash, twice',
    async (block) => {
      const answers = []
      for (let i = 0; i < 2; i++) {
        const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', block.code], {
          cwd: dir,
          env: { ...process.env, TIDINGS_URL: server.url, TOKEN: token },
          timeout: 30_000,
        })
        answers.push(JSON.parse(stdout) as { accepted: string[] })
      }
      // The same push twice: acknowledged both times (idempotent on bundle ids).
      expect(answers[0]?.accepted).toHaveLength(1)
      expect(answers[1]?.accepted).toEqual(answers[0]?.accepted)
    },
  )
})
