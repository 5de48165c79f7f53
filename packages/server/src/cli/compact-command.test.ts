import { newId } from '@tidings/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStore } from '../store/kysely-store.js'
import { type TestDatabase, tempSqlite } from '../testing/backends.js'
import { TestClient } from '../testing/fixtures.js'
import { parseDuration } from './compact-command.js'
import { type CliIo, runTidings } from './main.js'

/** Runs `tidings ARGS --db URL` in process; answers its exit code and what it printed. */
const tidings = async (url: string, ...args: string[]) => {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: { TIDINGS_PROGRESS_MS: '0' },
  }
  const { code } = await runTidings([...args, '--db', url], io)
  return { code, stdout: out.join('\n'), stderr: err.join('\n') }
}

describe('tidings compact', () => {
  let database: TestDatabase
  let user: string
  beforeAll(async () => {
    database = await tempSqlite()
    const store = await openStore(database.url)
    user = newId()
    await store.createUser({ id: user, name: 'ann', tokenHash: 'h', now: 1 })
    const device = new TestClient()
    const entity = newId()
    for (const value of ['a', 'b', 'c'])
      await store.push({
        stream: user,
        bundles: [device.bundle({ events: [device.event({ entity, value })] })],
        now: 1,
      })
    await store.close()
  })
  afterAll(async () => {
    await database?.dispose()
  })

  it('compacts a space with progress on stderr and a summary on stdout', async () => {
    const run = await tidings(database.url, 'compact', '--space', user, '--older-than', '0s')
    expect(run).toMatchObject({ code: 0 })
    expect(run.stderr).toContain(
      `compact: space 1 of 1 (${user}), rewrite: 3 bundles, 3 events, 2 dropped`,
    )
    expect(run.stdout).toMatch(
      /^compacted 1 spaces below \S+: 2 of 3 events dropped from 3 bundles \(2 left empty\)/,
    )
    // Again: nothing more to drop.
    expect((await tidings(database.url, 'compact', '--older-than', '1d', '--quiet')).stderr).toBe(
      '',
    )
  })

  it('refuses unclear horizons with a usage error', async () => {
    for (const [args, message] of [
      [[], 'compact needs one of --older-than AGE'],
      [['--older-than', '30d', '--horizon', 'x'], 'compact needs one of'],
      [['--older-than', 'a month'], '--older-than must be an age like 30d'],
      [['--horizon', 'yesterday'], '--horizon must be an HLC'],
      [['--older-than', '1d', '--batch', '0'], '--batch must be at least 1'],
    ] as const) {
      const run = await tidings(database.url, 'compact', ...args)
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(message)
    }
    const unknown = await tidings(database.url, 'compact', '--space', newId(), '--older-than', '1d')
    expect(unknown).toMatchObject({ code: 1 })
    expect(unknown.stderr).toContain('no space or user stream')
  })

  it('validates the schedule of serve', async () => {
    for (const [args, message] of [
      [['--compact-every', '24h'], '--compact-every and --compact-older-than go together'],
      [['--compact-every', '1s', '--compact-older-than', '30d'], 'at least 1m'],
      [['--compact-every', '24h', '--compact-older-than', 'old'], '--compact-older-than must be'],
    ] as const) {
      const run = await tidings(database.url, 'serve', '--port', '0', '--quiet', ...args)
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(message)
    }
  })

  it('reads ages', () => {
    expect(parseDuration('30d')).toBe(30 * 86_400_000)
    expect(parseDuration('500ms')).toBe(500)
    expect(parseDuration('12 h')).toBeNull()
    expect(parseDuration('-1d')).toBeNull()
  })
})
