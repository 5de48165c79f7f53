import { readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authenticate } from './auth/authenticate.js'
import { type CliIo, runTidings } from './cli/main.js'
import { openStore } from './store/kysely-store.js'
import { type TestDatabase, tempSqlite } from './testing/backends.js'
import { exited, runCli, spawnCli, startCliServer } from './testing/cli.js'
import { seedStore, streamOf } from './transfer/testing.js'

/** Runs a command line in-process, capturing what it prints. */
const tidings = async (args: string[], env: Record<string, string> = {}) => {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), env }
  const { code, server } = await runTidings(args, io)
  await server?.close()
  return { code, stdout: out.join('\n'), stderr: err.join('\n') }
}

describe('tidings CLI', () => {
  let database: TestDatabase

  beforeAll(async () => {
    database = await tempSqlite()
  })
  afterAll(async () => {
    await database?.dispose()
  })

  it('adds a user and prints its id and token once, as JSON', async () => {
    const res = await tidings(['user', 'add', 'alice', '--db', database.url, '--json'])
    expect(res.code).toBe(0)
    const user = JSON.parse(res.stdout) as { id: string; name: string; token: string }
    expect(user.name).toBe('alice')
    expect(user.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const store = await openStore(database.url)
    try {
      expect(await authenticate(store, `Bearer ${user.token}`)).toMatchObject({
        userId: user.id,
        name: 'alice',
      })
    } finally {
      await store.close()
    }
  })

  it('refuses a second user of the same name', async () => {
    const res = await tidings(['user', 'add', 'bob', '--db', database.url])
    expect(res.code).toBe(0)
    expect(res.stdout).toContain('token ')
    const again = await tidings(['user', 'add', 'bob', '--db', database.url])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('already exists')
  })

  it('lists users and revokes one, whose token then stops working', async () => {
    const added = JSON.parse(
      (await tidings(['user', 'add', 'carol', '--json'], { TIDINGS_DB: database.url })).stdout,
    ) as {
      token: string
    }
    const revoke = await tidings(['user', 'revoke', 'carol', '--db', database.url])
    expect(revoke).toMatchObject({ code: 0, stdout: 'revoked carol' })
    const list = await tidings(['user', 'list', '--db', database.url, '--json'])
    const users = JSON.parse(list.stdout) as Array<{ name: string; revokedAt: number | null }>
    expect(users.map((u) => [u.name, u.revokedAt === null])).toEqual([
      ['alice', true],
      ['bob', true],
      ['carol', false],
    ])
    const store = await openStore(database.url)
    try {
      await expect(authenticate(store, `Bearer ${added.token}`)).rejects.toMatchObject({
        code: 'unauthorized',
      })
    } finally {
      await store.close()
    }
    const missing = await tidings(['user', 'revoke', 'nobody', '--db', database.url])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('no user named')
  })

  it.each([
    [[], 'missing command', 2],
    [['frobnicate'], 'unknown command', 2],
    [['user', 'add'], 'needs a NAME', 2],
    [['serve', '--port', 'eighty'], 'whole number', 2],
    [['serve', '--max-body-bytes', '1e6'], 'whole number', 2],
    [['serve', '--colour'], 'Unknown option', 2],
    [['user', 'add', 'a b', '--db', 'memory'], 'invalid user name', 1],
    [['user', 'list', '--db', 'mysql://x'], 'unknown database URL', 1],
  ])('explains bad input %j and exits non-zero', async (args, message, code) => {
    const res = await tidings(args)
    expect(res.code).toBe(code)
    expect(res.stderr).toContain(message)
  })

  it('backs up a SQLite database a server is writing, into a copy that opens with the same data', async () => {
    const source = await tempSqlite()
    const copy = join(tmpdir(), `tidings-backup-${process.pid}-${Date.now()}.db`)
    const store = await openStore(source.url)
    try {
      await seedStore(store, { ada: 50 })
      const res = await tidings(['backup', '--db', source.url, '--out', copy])
      expect(res).toMatchObject({ code: 0, stdout: expect.stringContaining(`to ${copy}`) })
      // The store stays open and writable throughout: an online copy.
      await seedStore(store, { bob: 1 })
      const restored = await openStore(`sqlite:${copy}`)
      try {
        expect((await restored.listUsers()).map((u) => u.name)).toEqual(['ada'])
        const [ada] = await restored.listUsers()
        expect(await restored.bundleIds(ada!.id)).toEqual(await store.bundleIds(ada!.id))
      } finally {
        await restored.close()
      }
      const again = await tidings(['backup', '--db', source.url, '--out', copy])
      expect(again).toMatchObject({ code: 1, stderr: expect.stringContaining('never overwrites') })
      const pg = await tidings(['backup', '--db', 'postgres://x@127.0.0.1/db', '--out', `${copy}2`])
      expect(pg).toMatchObject({ code: 1, stderr: expect.stringContaining('pg_dump') })
    } finally {
      await store.close()
      await source.dispose()
      await rm(copy, { force: true })
    }
  })

  it('prints its version', async () => {
    const res = await tidings(['--version'])
    expect(res).toMatchObject({ code: 0, stdout: expect.stringMatching(/^tidings \d+\.\d+\.\d+/) })
  })

  it('refuses a --cors-origin a browser would never send, before serving', async () => {
    const res = await tidings([
      'serve',
      '--db',
      'memory',
      '--port',
      '0',
      '--cors-origin',
      'https://app.example.com/',
    ])
    expect(res.code).toBe(2)
    expect(res.stderr).toContain('--cors-origin')
    const env = await tidings(['serve', '--db', 'memory', '--port', '0', '--quiet'], {
      TIDINGS_CORS_ORIGIN: 'https://app.example.com',
    })
    expect(env.code).toBe(0)
  })

  it('serves with limits from flags and env', async () => {
    const res = await tidings(
      ['serve', '--port', '0', '--quiet', '--db', 'memory', '--max-drift-ms', '5'],
      {
        TIDINGS_MAX_BODY_BYTES: '1000',
      },
    )
    expect(res.code).toBe(0)
    expect(res.stdout).toMatch(/^Tidings listening on http:\/\/127\.0\.0\.1:\d+$/)
  })

  it('runs as a process: prints JSON users, exits 2 on bad input', async () => {
    const added = await runCli(['user', 'add', 'dave', '--db', database.url, '--json'])
    expect(added.code).toBe(0)
    expect(JSON.parse(added.stdout)).toMatchObject({ name: 'dave' })
    const bad = await runCli(['frobnicate'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('unknown command')
  })

  it('serves as a process until SIGTERM, then exits cleanly', async () => {
    const { child, url } = await startCliServer(['--db', database.url])
    const health = await fetch(`${url}/v1/health`)
    expect(health.status).toBe(200)
    child.kill('SIGTERM')
    await exited(child)
    expect(child.exitCode).toBe(0)
  })
})

describe('tidings export | tidings import', () => {
  let source: TestDatabase
  let target: TestDatabase
  let events = 0

  beforeAll(async () => {
    ;[source, target] = await Promise.all([tempSqlite(), tempSqlite()])
    const store = await openStore(source.url)
    try {
      const seeded = await seedStore(store, { alice: 600, bob: 200 })
      events = [...seeded.values()].flat().reduce((n, b) => n + b.events.length, 0)
    } finally {
      await store.close()
    }
  })
  afterAll(async () => {
    await Promise.all([source?.dispose(), target?.dispose()])
  })

  const sameStreams = async (a: string, b: string, users: string[]) => {
    const [from, to] = await Promise.all([openStore(a), openStore(b)])
    try {
      for (const name of users) expect(await streamOf(to, name)).toEqual(await streamOf(from, name))
    } finally {
      await Promise.all([from.close(), to.close()])
    }
  }

  it('moves every bundle through a shell pipe, with progress on stderr', async () => {
    const env = { TIDINGS_PROGRESS_MS: '0' } // every page and batch, not every 5 s
    const exporter = spawnCli(['export', '--db', source.url, '--max-page-bundles', '100'], { env })
    const importer = spawnCli(['import', '--db', target.url, '--max-bundles-per-request', '100'], {
      env,
      input: exporter.child.stdout,
    })
    const [exported, imported] = await Promise.all([exporter.done, importer.done])
    expect(exported.code).toBe(0)
    expect(imported).toMatchObject({ code: 0 })
    expect(imported.stdout).toMatch(
      new RegExp(
        `^imported 800 bundles \\(${events.toLocaleString('en-US')} events\\) of 2 users in [\\d.]+s: 800 new, 0 already present\n`,
      ),
    )
    expect(imported.stdout).toContain('created 2 users without a token (alice, bob)')
    expect(imported.stdout).toContain('tidings user token NAME')
    const progress = (text: string, verb: string) =>
      text.split('\n').filter((line) => line.startsWith(`${verb}: `))
    // Pages and batches of 100 bundles: 8 of each, each reported with the total and an ETA.
    expect(progress(exported.stderr, 'export')).toHaveLength(8)
    expect(progress(imported.stderr, 'import')).toHaveLength(8)
    expect(progress(imported.stderr, 'import')[3]).toMatch(
      /^import: 400 of 800 bundles, [\d,]+ of [\d,]+ events \(\d+%\), [\d,]+ events\/s, ETA \d+/,
    )
    expect(exported.stderr).toMatch(/\nexported 800 bundles \([\d,]+ events\) of 2 users in /)
    await sameStreams(source.url, target.url, ['alice', 'bob'])
  })

  it('imports again from a file adding nothing; a corrupted line fails with its number', async () => {
    const file = join(target.url.slice('sqlite:'.length), '..', 'bob.ndjson')
    const exported = await runCli(['export', '--db', source.url, '--user', 'bob', '--out', file])
    expect(exported.code).toBe(0)
    expect(exported.stdout).toMatch(/^exported 200 bundles/)
    // Without TIDINGS_PROGRESS_MS: the first step is reported, then every 5 s.
    expect(exported.stderr).toMatch(/^export: 200 of 200 bundles, /)
    const again = await runCli(['import', '--db', target.url, '--in', file, '--quiet'])
    expect(again).toMatchObject({ code: 0, stderr: '' })
    expect(again.stdout).toMatch(/: 0 new, 200 already present\n$/)

    const lines = (await readFile(file, 'utf8')).split('\n')
    lines[4] = (lines[4] as string).replace('"events":[', '"events":[7,')
    await writeFile(file, lines.join('\n'))
    const fresh = await tempSqlite()
    try {
      const bad = await runCli(['import', '--db', fresh.url, '--in', file])
      expect(bad.code).toBe(1)
      expect(bad.stderr).toContain(
        'tidings: line 5: bad_request: invalid bundle line at bundle.events.0',
      )
      expect(bad.stderr).toContain('Nothing was stored.')
      const store = await openStore(fresh.url)
      expect(await streamOf(store, 'bob')).toEqual([])
      await store.close()
    } finally {
      await fresh.dispose()
    }
    const missing = await runCli(['import', '--db', target.url, '--in', `${file}.gone`])
    expect(missing).toMatchObject({ code: 1 })
    expect(missing.stderr).toContain('cannot read')
  })

  it('gives an imported user a token with `user token`', async () => {
    const res = await tidings(['user', 'token', 'alice', '--db', target.url, '--json'])
    expect(res.code).toBe(0)
    const { token } = JSON.parse(res.stdout) as { token: string }
    const store = await openStore(target.url)
    try {
      expect(await authenticate(store, `Bearer ${token}`)).toMatchObject({ name: 'alice' })
    } finally {
      await store.close()
    }
    const missing = await tidings(['user', 'token', 'nobody', '--db', target.url])
    expect(missing).toMatchObject({ code: 1, stderr: 'tidings: no user named "nobody"' })
  })

  it('says in --help what stays stored when an import stops', async () => {
    const help = await tidings(['--help'])
    expect(help.stdout).toContain('earlier batches stay')
    expect(help.stdout).toContain('tidings export --db sqlite:./tidings.db | tidings import')
  })
})
