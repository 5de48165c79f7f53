import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authenticate } from './auth/authenticate.js'
import { type CliIo, runTidings } from './cli/main.js'
import { openStore } from './store/kysely-store.js'
import { type TestDatabase, tempSqlite } from './testing/backends.js'
import { exited, runCli, startCliServer } from './testing/cli.js'

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
