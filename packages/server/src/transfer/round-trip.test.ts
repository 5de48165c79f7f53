import { type Bundle, DEFAULT_LIMITS } from '@tidings/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authenticate } from '../auth/authenticate.js'
import { issueToken, revokeUser } from '../auth/users.js'
import { openStore } from '../store/kysely-store.js'
import type { Store, UserInfo } from '../store/store.js'
import { freshPostgres, hasPostgres, type TestDatabase, tempSqlite } from '../testing/backends.js'
import { exportBundles } from './export.js'
import { importBundles } from './import.js'
import { readLines } from './ndjson.js'
import { chunked, seedStore, streamOf } from './testing.js'

/** carol has no bundles; dave is revoked after his bundles are stored. */
const PLAN = { alice: 120, bob: 45, carol: 0, dave: 3 }
const BUNDLES = 120 + 45 + 3

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
    await revokeUser(source, 'dave')
    text = (await exportText(source)).text
  })
  afterAll(async () => {
    await source?.close()
    await sourceDb?.dispose()
  })

  it('is a header, every user, every bundle in stream order with its user name, and an end line', async () => {
    const lines = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    const events = [...seeded.values()].flat().reduce((n, b) => n + b.events.length, 0)
    expect(lines[0]).toEqual({ tidings: 'export', version: 2, bundles: BUNDLES, events })
    const users = await source.listUsers()
    // Every user, with bundles or not, revoked or not; never a token.
    expect(lines.slice(1, 5)).toEqual(
      users.map((u) => ({
        tidings: 'user',
        name: u.name,
        createdAt: u.createdAt,
        revokedAt: u.revokedAt,
      })),
    )
    expect(lines.slice(1, 5).map((l) => [l.name, l.revokedAt === null])).toEqual([
      ['alice', true],
      ['bob', true],
      ['carol', true],
      ['dave', false],
    ])
    expect(lines.at(-1)).toEqual({ tidings: 'end', bundles: BUNDLES, events })
    expect(lines.slice(5, -1).map((l) => [l.user, (l.bundle as Bundle).id])).toEqual(
      ['alice', 'bob', 'dave'].flatMap((name) => (seeded.get(name) ?? []).map((b) => [name, b.id])),
    )
  })

  it('of one user holds only that user', async () => {
    const { text: bobs, summary } = await exportText(source, 'bob')
    expect(summary).toMatchObject({ users: 1, bundles: 45 })
    expect(bobs.trimEnd().split('\n')).toHaveLength(1 + 1 + 45 + 1) // header, bob, bundles, end
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
      expect(summary).toMatchObject({
        bundles: BUNDLES,
        added: BUNDLES,
        present: 0,
        skipped: 0,
        createdUsers: ['alice', 'bob', 'carol', 'dave'],
        revokedUsers: ['dave'],
      })
      expect(summary.users).toEqual(['alice', 'bob', 'carol', 'dave'])
      for (const name of ['alice', 'bob', 'dave'])
        expect(await streamOf(target, name)).toEqual(await streamOf(source, name))
      expect(await streamOf(target, 'alice')).toEqual(seeded.get('alice'))
    })

    it('restores every user as it was: those without bundles too, revoked ones revoked', async () => {
      const strip = (users: UserInfo[]) => users.map(({ id: _, ...rest }) => rest)
      expect(strip(await target.listUsers())).toEqual(strip(await source.listUsers()))
      expect((await target.listUsers()).map((u) => [u.name, u.revokedAt === null])).toEqual([
        ['alice', true],
        ['bob', true],
        ['carol', true],
        ['dave', false],
      ])
    })

    it('creates missing users without a token; `user token` then lets them sign in', async () => {
      const users = await target.listUsers()
      const alice = users[0]
      const row = alice && (await target.findUserByTokenHash(`no-token:${alice.id}`))
      expect(row?.name).toBe('alice') // the marker, which no token hashes to
      const { token } = await issueToken(target, 'alice')
      expect(await authenticate(target, `Bearer ${token}`)).toMatchObject({ name: 'alice' })
    })

    it('adds nothing when imported again, and says all were already present', async () => {
      const summary = await importText(target, text)
      expect(summary).toMatchObject({
        bundles: BUNDLES,
        added: 0,
        present: BUNDLES,
        createdUsers: [],
        revokedUsers: [],
      })
      expect(await streamOf(target, 'alice')).toEqual(seeded.get('alice'))
      expect(await target.streamSize((await target.listUsers())[1]?.id ?? '')).toMatchObject({
        bundles: 45,
      })
    })

    it('with --user imports that user alone and counts the rest as skipped', async () => {
      const summary = await importText(target, text, 'bob')
      expect(summary).toMatchObject({ bundles: 45, added: 0, present: 45, skipped: 123 })
      expect(summary.users).toEqual(['bob'])
    })

    it('reads a version 1 export (no user lines): its users are created as their bundles come', async () => {
      const fresh = await openStore('memory')
      try {
        const version1 = text
          .split('\n')
          .filter((line) => !line.startsWith('{"tidings":"user"'))
          .join('\n')
          .replace('"version":2', '"version":1')
        const summary = await importText(fresh, version1)
        expect(summary).toMatchObject({ added: BUNDLES, createdUsers: ['alice', 'bob', 'dave'] })
        expect(await streamOf(fresh, 'alice')).toEqual(seeded.get('alice'))
      } finally {
        await fresh.close()
      }
    })
  })
})
