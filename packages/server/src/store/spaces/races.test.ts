import { newId } from '@tidings/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshPostgres, hasPostgres, type TestDatabase } from '../../testing/backends.js'
import { SpacesTestKit } from '../../testing/spaces.js'
import { openStore } from '../kysely-store.js'
import type { Store } from '../store.js'

const ROUNDS = 25

if (!hasPostgres) console.warn('Postgres is not reachable: the membership race tests did not run')

/**
 * Membership changes racing on real Postgres, from two stores (two pools, as two server nodes
 * would be). Each change reads the owners under the space's lock, so of two changes that would
 * each leave one owner, exactly one commits and the other is refused `last_owner`: a space
 * never ends up with no owner.
 */
describe.skipIf(!hasPostgres)('membership races (real Postgres, two nodes)', () => {
  let database: TestDatabase
  let nodes: [Store, Store]
  const kit = new SpacesTestKit(() => nodes[0])

  beforeAll(async () => {
    database = await freshPostgres()
    nodes = [await openStore(database.url), await openStore(database.url)]
  })
  afterAll(async () => {
    for (const node of nodes ?? []) await node.close()
    await database?.dispose()
  })

  /** A space owned by two users; answers them and the space. */
  const twoOwners = async () => {
    const [ann, bob] = [await kit.user(), await kit.user()]
    const space = await kit.space(ann)
    await kit.join(space, ann, bob, 'owner')
    return { space, ann, bob }
  }

  const outcome = (results: PromiseSettledResult<unknown>[]) =>
    results.map((r) =>
      r.status === 'fulfilled' ? 'ok' : ((r.reason as { code?: string }).code ?? String(r.reason)),
    )

  const owners = async (space: string, someone: string) => {
    const members = await nodes[1].listMembers(space, someone).catch(() => [])
    return members.filter((m) => m.role === 'owner').map((m) => m.user)
  }

  it('the last two owners removing each other at once: exactly one wins', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { space, ann, bob } = await twoOwners()
      const now = Date.now()
      const results = await Promise.allSettled([
        nodes[0].removeMember({ space, caller: ann, user: bob, now }),
        nodes[1].removeMember({ space, caller: bob, user: ann, now }),
      ])
      // The loser is no owner any more by the time it holds the lock.
      expect(outcome(results).sort()).toEqual(['forbidden', 'ok'])
      const left = [...(await owners(space, ann)), ...(await owners(space, bob))]
      expect(new Set(left).size).toBe(1)
    }
  })

  it('the last two owners leaving, or demoting each other, at once: exactly one wins', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { space, ann, bob } = await twoOwners()
      const now = Date.now()
      const results = await Promise.allSettled(
        round % 2 === 0
          ? [
              nodes[0].removeMember({ space, caller: ann, user: ann, now }),
              nodes[1].removeMember({ space, caller: bob, user: bob, now }),
            ]
          : [
              nodes[0].setRole({ space, caller: ann, user: bob, role: 'writer', now }),
              nodes[1].setRole({ space, caller: bob, user: ann, role: 'reader', now }),
            ],
      )
      expect(outcome(results).sort()).toEqual(
        round % 2 === 0 ? ['last_owner', 'ok'] : ['forbidden', 'ok'],
      )
      const left = [...(await owners(space, ann)), ...(await owners(space, bob))]
      expect(new Set(left).size).toBe(1)
    }
  })

  it('an owner removed while it invites: the invite exists only if made before', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { space, ann, bob } = await twoOwners()
      const now = Date.now()
      const results = await Promise.allSettled([
        nodes[0].removeMember({ space, caller: ann, user: bob, now }),
        kit.invite(space, bob, { role: 'owner' }),
      ])
      const [removed, invited] = outcome(results)
      expect(removed).toBe('ok')
      const invites = await nodes[1].listInvites(space, ann)
      // Beside the invite that made bob an owner.
      expect(invites.length).toBe(invited === 'ok' ? 2 : 1)
      if (invited !== 'ok') expect(invited).toBe('forbidden')
    }
  })

  it('creates spaces with distinct ids on two nodes at once', async () => {
    const ann = await kit.user()
    const made = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        nodes[i % 2 === 0 ? 0 : 1].createSpace({ id: newId(), name: `s${i}`, owner: ann, now: 1 }),
      ),
    )
    expect((await nodes[0].listSpaces(ann)).length).toBe(made.length + 1)
  })
})
