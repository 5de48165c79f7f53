import { newId, type Role, TidingsError } from '@tidings/protocol'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_BACKENDS, type TestDatabase } from '../testing/backends.js'
import { TestClient } from '../testing/fixtures.js'
import { SpaceFixture } from '../testing/space-fixture.js'
import { openStore } from './kysely-store.js'
import type { Store } from './store.js'

type Action =
  | { kind: 'push'; user: number; space: number; count: number }
  | { kind: 'join'; user: number; space: number; role: Role }
  | { kind: 'remove'; user: number; space: number }
  | { kind: 'pull'; user: number }

const USERS = 4
const SPACES = 3
const user = fc.integer({ min: 0, max: USERS - 1 })
const member = fc.integer({ min: 1, max: USERS - 1 })
const space = fc.integer({ min: 0, max: SPACES - 1 })
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant('push' as const),
    user,
    space,
    count: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    kind: fc.constant('join' as const),
    user: member,
    space,
    role: fc.constantFrom<Role>('writer', 'reader'),
  }),
  fc.record({ kind: fc.constant('remove' as const), user: member, space }),
  fc.record({ kind: fc.constant('pull' as const), user }),
)

/**
 * Invariant 4 across spaces, with invariant 6: pushes into several spaces and membership
 * changes run concurrently while members pull a page now and then, each keeping its feed
 * position. Afterwards every user, draining from where it stood, has received exactly the
 * bundles of its spaces that it was entitled to: all of a space it is still in (a join gives
 * the history), and of a space it left, exactly those committed before its last removal.
 */
describe.each(TEST_BACKENDS)('many spaces, many members on $name', (backend) => {
  let database: TestDatabase
  let store: Store
  beforeAll(async () => {
    database = await backend.create()
    store = await openStore(database.url)
  })
  afterAll(async () => {
    await store?.close()
    await database?.dispose()
  })

  const run = async (actions: Action[], width: number) => {
    const fixture = new SpaceFixture(store)
    const users = Array.from({ length: USERS }, () => newId())
    const owner = users[0] as string
    const spaces: string[] = []
    for (let s = 0; s < SPACES; s++) spaces.push(await fixture.createSpace(owner, `space ${s}`))
    const device = new TestClient()
    const seqOf = new Map<string, { space: string; seq: number }>()
    const leftAt = new Map<string, number>()
    const positions = users.map(() => ({ after: 0, within: 0 }))
    const received = users.map(() => new Set<string>())
    const pull = async (u: number) => {
      const page = await store.pullFeed({
        user: users[u] as string,
        ...(positions[u] as { after: number; within: number }),
        limit: 2,
        maxEvents: 10_000,
      })
      for (const b of page.bundles) received[u]?.add(b.id)
      positions[u] = { after: page.position.after, within: page.position.within }
      return page.more
    }
    const perform = async (a: Action): Promise<void> => {
      const who = users[a.user] as string
      if (a.kind === 'pull') {
        await pull(a.user)
        return
      }
      const where = spaces[a.space] as string
      if (a.kind === 'join') return fixture.join(where, who, a.role)
      if (a.kind === 'remove') {
        // A removal of a non-member changes nothing (it is refused), so it ends nothing.
        const head = await fixture.remove(where, who)
        const key = `${who} ${where}`
        if (head !== null) leftAt.set(key, Math.max(leftAt.get(key) ?? 0, head))
        return
      }
      const bundles = Array.from({ length: a.count }, () => ({ ...device.bundle(), space: where }))
      try {
        const pushed = await store.push({ stream: who, bundles, now: Date.now() })
        const done = pushed.shared?.[0]
        if (!done) throw new Error('a push of new bundles added nothing')
        bundles.forEach((b, i) => {
          seqOf.set(b.id, { space: where, seq: done.head - done.added + 1 + i })
        })
      } catch (err) {
        if (!(err instanceof TidingsError && err.code === 'forbidden')) throw err
      }
    }
    for (let i = 0; i < actions.length; i += width)
      await Promise.all(actions.slice(i, i + width).map(perform))
    for (let u = 0; u < USERS; u++) while (await pull(u)) {}
    const db = (store as unknown as { db: import('kysely').Kysely<import('./schema.js').Database> })
      .db
    const members = await db
      .selectFrom('members')
      .select(['space', 'user_id', 'role'])
      .where('space', 'in', spaces)
      .execute()
    users.forEach((who, u) => {
      const expected = new Set<string>()
      for (const row of members.filter((m) => m.user_id === who)) {
        const limit = row.role === null ? (leftAt.get(`${who} ${row.space}`) ?? 0) : Infinity
        for (const [id, at] of seqOf)
          if (at.space === row.space && at.seq <= limit) expected.add(id)
      }
      expect([...(received[u] ?? [])].sort()).toEqual([...expected].sort())
    })
  }

  it('ends nothing with a removal of a user already removed (a case fast-check found)', async () => {
    await run(
      [
        { kind: 'join', user: 3, space: 1, role: 'writer' },
        { kind: 'remove', user: 3, space: 1 },
        { kind: 'push', user: 0, space: 1, count: 1 },
        { kind: 'remove', user: 3, space: 1 },
      ],
      1,
    )
  })

  it('every member receives exactly the bundles of its spaces during membership', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(action, { minLength: 4, maxLength: 30 }),
        fc.integer({ min: 1, max: 6 }),
        run,
      ),
      { numRuns: backend.name === 'postgres' ? 15 : 8 },
    )
  })
})
