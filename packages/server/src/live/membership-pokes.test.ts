import { randomBytes } from 'node:crypto'
import { ROUTES, routePath } from '@tidings/protocol'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { addUser } from '../auth/users.js'
import { buildApp } from '../http/app.js'
import { openStore } from '../store/kysely-store.js'
import type { Store } from '../store/store.js'
import { freshPostgres, hasPostgres, TEST_POSTGRES_URL } from '../testing/backends.js'
import type { LiveHub } from './hub.js'
import { LocalHub } from './local-hub.js'
import { MEMBERSHIP_POKE } from './membership-pokes.js'
import { PostgresHub } from './postgres-hub.js'

/** Pokes each user's live streams receive, by user id. */
const recordPokes = (hub: LiveHub, users: string[]) => {
  const pokes = new Map<string, string[]>(users.map((u) => [u, []]))
  for (const user of users)
    hub.subscribe(user, { poke: (cursor) => pokes.get(user)?.push(cursor), lost: () => {} })
  return pokes
}

/** Ann makes a space and invites Bob, who joins; then Bob is promoted, then removed. */
const scenario = async (node: { app: Awaited<ReturnType<typeof buildApp>> }, store: Store) => {
  const [ann, bob] = [
    await addUser(store, `ann-${randomBytes(4).toString('hex')}`),
    await addUser(store, `bob-${randomBytes(4).toString('hex')}`),
  ]
  const call = async (
    token: string,
    method: 'POST' | 'PUT' | 'DELETE',
    url: string,
    body?: object,
  ) => {
    const res = await node.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}` },
      ...(body && { payload: body }),
    })
    expect(res.statusCode, res.body).toBeLessThan(300)
    return res.body === '' ? undefined : res.json()
  }
  return {
    ann,
    bob,
    steps: {
      create: () => call(ann.token, 'POST', ROUTES.spaces, { name: 'poked' }),
      invite: (space: string) =>
        call(ann.token, 'POST', routePath(ROUTES.invites, { space }), { role: 'reader' }),
      accept: (code: string) => call(bob.token, 'POST', ROUTES.acceptInvite, { code }),
      promote: (space: string) =>
        call(ann.token, 'PUT', routePath(ROUTES.member, { space, user: bob.id }), {
          role: 'writer',
        }),
      remove: (space: string) =>
        call(ann.token, 'DELETE', routePath(ROUTES.member, { space, user: bob.id })),
    },
  }
}

if (!hasPostgres)
  console.warn('Postgres is not reachable: membership pokes across nodes were not tested')

describe('membership pokes', () => {
  const closing: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const close of closing.splice(0).reverse()) await close()
  })

  it('poke the changed user’s live streams after each change: create, join, role, removal', async () => {
    const hub = new LocalHub()
    const store = await openStore('memory')
    const app = await buildApp({ store, live: hub, rateLimit: false })
    closing.push(
      () => store.close(),
      () => app.close(),
    )
    const { ann, bob, steps } = await scenario({ app }, store)
    const pokes = recordPokes(hub, [ann.id, bob.id])
    const poke = String(MEMBERSHIP_POKE)
    const { space } = await steps.create()
    expect(pokes.get(ann.id)).toEqual([poke])
    const { code } = await steps.invite(space.id)
    expect(pokes.get(bob.id)).toEqual([]) // an invite changes nobody yet
    await steps.accept(code)
    await steps.promote(space.id)
    await steps.remove(space.id)
    expect(pokes.get(bob.id)).toEqual([poke, poke, poke])
    expect(pokes.get(ann.id)).toEqual([poke])
  })

  it.skipIf(!hasPostgres)(
    'reach the user’s live streams on every node (real Postgres)',
    async () => {
      const database = await freshPostgres()
      const channel = `tidings_test_${randomBytes(4).toString('hex')}`
      const hubs = [
        new PostgresHub({ url: TEST_POSTGRES_URL, channel }),
        new PostgresHub({ url: TEST_POSTGRES_URL, channel }),
      ]
      for (const hub of hubs) await hub.start()
      const store = await openStore(database.url)
      const app = await buildApp({ store, live: hubs[0] as LiveHub, rateLimit: false })
      closing.push(
        database.dispose,
        () => store.close(),
        ...hubs.map((h) => () => h.close()),
        () => app.close(),
      )
      const { bob, steps } = await scenario({ app }, store)
      // Bob's live stream is open on the other node.
      const pokes = recordPokes(hubs[1] as LiveHub, [bob.id])
      const { space } = await steps.create()
      const { code } = await steps.invite(space.id)
      await steps.accept(code)
      await vi.waitFor(() => expect(pokes.get(bob.id)).toEqual([String(MEMBERSHIP_POKE)]))
    },
  )
})
