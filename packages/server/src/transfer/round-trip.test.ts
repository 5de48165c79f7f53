import { type Bundle, DEFAULT_LIMITS } from '@tidings/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authenticate } from '../auth/authenticate.js'
import { issueToken } from '../auth/users.js'
import { openStore } from '../store/kysely-store.js'
import type { Store } from '../store/store.js'
import { freshPostgres, hasPostgres, type TestDatabase, tempSqlite } from '../testing/backends.js'
import { exportBundles } from './export.js'
import { importBundles } from './import.js'
import { readLines } from './ndjson.js'
import { chunked, seedStore, streamOf } from './testing.js'

const PLAN = { alice: 120, bob: 45, carol: 0 }

const exportText = async (store: Store, user?: string) => {
  const parts: string[] = []
  const summary = await exportBundles(store, {
    ...(user !== undefined && { user }),
    write: async (text) => {
      parts.push(text)
    },
  })
  return { text: parts.join(''), summary }
}

const importText = (store: Store, text: string, user?: string) =>
  importBundles(store, {
    lines: readLines(chunked(text), DEFAULT_LIMITS.maxBodyBytes),
    limits: DEFAULT_LIMITS,
    batchBundles: 50,
    ...(user !== undefined && { user }),
  })

const targets: Array<[string, () => Promise<TestDatabase>]> = [
  ['pglite', async () => ({ url: 'pglite:memory', dispose: async () => {} })],
  ...(hasPostgres ? [['postgres', () => freshPostgres()] as [string, typeof freshPostgres]] : []),
]

describe('an export of SQLite', () => {
  let sourceDb: TestDatabase
  let source: Store
  let seeded: Map<string, Bundle[]>
  let text: string

  beforeAll(async () => {
    sourceDb = await tempSqlite()
    source = await openStore(sourceDb.url)
    seeded = await seedStore(source, PLAN)
    text = (await exportText(source)).text
  })
  afterAll(async () => {
    await source?.close()
    await sourceDb?.dispose()
  })

  it('is a header, every bundle in stream order with its user name, and an end line', async () => {
    const lines = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    const events = [...seeded.values()].flat().reduce((n, b) => n + b.events.length, 0)
    expect(lines[0]).toEqual({ tidings: 'export', version: 1, bundles: 165, events })
    expect(lines.at(-1)).toEqual({ tidings: 'end', bundles: 165, events })
    expect(lines.slice(1, -1).map((l) => [l.user, (l.bundle as Bundle).id])).toEqual([
      ...(seeded.get('alice') ?? []).map((b) => ['alice', b.id]),
      ...(seeded.get('bob') ?? []).map((b) => ['bob', b.id]),
    ])
  })

  it('of one user holds only that user', async () => {
    const { text: bobs, summary } = await exportText(source, 'bob')
    expect(summary).toMatchObject({ users: 1, bundles: 45 })
    expect(bobs.trimEnd().split('\n')).toHaveLength(45 + 2)
    await expect(exportText(source, 'nobody')).rejects.toMatchObject({ code: 'not_found' })
  })

  describe.each(targets)('imported into %s', (_, create) => {
    let targetDb: TestDatabase
    let target: Store

    beforeAll(async () => {
      targetDb = await create()
      target = await openStore(targetDb.url)
    })
    afterAll(async () => {
      await target?.close()
      await targetDb?.dispose()
    })

    it('equals the original: same bundle ids, events and order per user', async () => {
      const summary = await importText(target, text)
      expect(summary).toMatchObject({ bundles: 165, added: 165, present: 0, skipped: 0 })
      expect(summary.users).toEqual(['alice', 'bob'])
      for (const name of ['alice', 'bob'])
        expect(await streamOf(target, name)).toEqual(await streamOf(source, name))
      expect(await streamOf(target, 'alice')).toEqual(seeded.get('alice'))
    })

    it('creates missing users without a token; `user token` then lets them sign in', async () => {
      const users = await target.listUsers()
      expect(users.map((u) => [u.name, u.revokedAt])).toEqual([
        ['alice', null],
        ['bob', null],
      ])
      const alice = users[0]
      const row = alice && (await target.findUserByTokenHash(`no-token:${alice.id}`))
      expect(row?.name).toBe('alice') // the marker, which no token hashes to
      const { token } = await issueToken(target, 'alice')
      expect(await authenticate(target, `Bearer ${token}`)).toMatchObject({ name: 'alice' })
    })

    it('adds nothing when imported again, and says all were already present', async () => {
      const summary = await importText(target, text)
      expect(summary).toMatchObject({ bundles: 165, added: 0, present: 165, createdUsers: [] })
      expect(await streamOf(target, 'alice')).toEqual(seeded.get('alice'))
      expect(await target.streamSize((await target.listUsers())[1]?.id ?? '')).toMatchObject({
        bundles: 45,
      })
    })

    it('with --user imports that user alone and counts the rest as skipped', async () => {
      const summary = await importText(target, text, 'bob')
      expect(summary).toMatchObject({ bundles: 45, added: 0, present: 45, skipped: 120 })
    })
  })
})
