import { writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addUser } from '../auth/users.js'
import { openStore } from '../store/kysely-store.js'
import { type TestDatabase, tempSqlite } from '../testing/backends.js'
import { TestClient } from '../testing/fixtures.js'
import { type CliIo, runTidings } from './main.js'

const tidings = async (url: string, ...args: string[]) => {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), env: {} }
  const { code, server } = await runTidings([...args, '--db', url], io)
  await server?.close()
  return { code, stdout: out.join('\n'), stderr: err.join('\n') }
}

/** `tidings read-model rebuild` and `serve --schema`: progress, typed tables, clear refusals. */
describe('tidings read-model', () => {
  let database: TestDatabase
  let schemaFile: string
  beforeAll(async () => {
    database = await tempSqlite()
    const store = await openStore(database.url)
    const user = await addUser(store, 'ann')
    const device = new TestClient()
    await store.push({ stream: user.id, bundles: [device.bundle({ count: 3 })], now: Date.now() })
    await store.close()
    schemaFile = join(dirname(database.url.slice('sqlite:'.length)), 'schema.json')
    const title = { kind: 'string', spec: { optional: false, indexed: true, hasDefault: false } }
    await writeFile(schemaFile, JSON.stringify({ types: { document: { title } } }))
  })
  afterAll(() => database?.dispose())

  it('rebuilds from the log with progress on stderr, typed tables included', async () => {
    const result = await tidings(database.url, 'read-model', 'rebuild', '--schema', schemaFile)
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/read-model: space 1\/1 \(.+\): 1\/1 bundles/)
    expect(result.stdout).toMatch(/rebuilt the read model of 1 space\(s\) from 1 bundles/)
  })

  it('refuses a bad schema file before serving, naming where it is wrong', async () => {
    const bad = `${schemaFile}.bad.json`
    await writeFile(bad, JSON.stringify({ types: { document: { title: { kind: 'text' } } } }))
    const result = await tidings(database.url, 'serve', '--port', '0', '--quiet', '--schema', bad)
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/--schema: .*at types\.document\.title\.kind: must be one of/)
    const both = await tidings(database.url, 'serve', '--no-read-model', '--schema', schemaFile)
    expect(both.code).toBe(2)
  })
})
