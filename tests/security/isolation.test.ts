import { type Bundle, newId, ROUTES, routePath } from '@tidings/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { validBundle, validSync } from '../fuzz/samples.js'
import { type TempDatabase, tempSqlite } from '../support/databases.js'
import {
  addUser,
  type ServerProcess,
  spawnServer,
  tidingsCli,
  type User,
} from '../support/server-process.js'
import { bundleIds, call, pullAll } from '../support/wire.js'

/**
 * Invariant 6 (DESIGN.md §2): a user reads and writes only its own bundles. Two users, Alice
 * and Bob; Bob tries every route with Alice's client id, bundle ids and cursors.
 */
describe('isolation and auth between two users', () => {
  let db: TempDatabase
  let server: ServerProcess
  let alice: User
  let bob: User
  const aliceClient = newId()
  const bobClient = newId()
  let aliceBundle: Bundle
  let aliceCursor = ''
  let aliceIds: string[] = []
  const aliceWrites = { writes: [{ op: 'create', type: 'note', fields: { text: 'x' } }] }

  /** What Alice's account holds, read with Alice's token: nothing Bob does may change it. */
  const aliceView = async () => ({
    ids: await bundleIds(server.url, alice.token),
    bundles: await pullAll(server.url, alice.token),
  })

  beforeAll(async () => {
    db = tempSqlite()
    // One after the other: two CLIs migrating a fresh SQLite file at once race (see README).
    alice = await addUser(db.url, 'alice')
    bob = await addUser(db.url, 'bob')
    // Debug level: the most the server ever logs, so a leaked token would show.
    server = await spawnServer({ db: db.url, env: { LOG_LEVEL: 'trace' } })
    const a = validSync(aliceClient)
    aliceBundle = a.bundles[0] as Bundle
    const first = await call(server.url, ROUTES.sync, { token: alice.token, json: a })
    expect(first.status).toBe(200)
    // A second client of Alice's, so Alice's own pull has something from "another" client.
    const second = await call(server.url, ROUTES.sync, {
      token: alice.token,
      json: validSync(newId()),
    })
    aliceCursor = (second.body as { cursor: string }).cursor
    const b = await call(server.url, ROUTES.sync, { token: bob.token, json: validSync(bobClient) })
    expect(b.status).toBe(200)
    aliceIds = await bundleIds(server.url, alice.token)
    expect(aliceIds).toContain(aliceBundle.id)
  })

  afterAll(async () => {
    await server?.stop()
    await db?.drop()
  })

  it("refuses Bob syncing as Alice's client, or pushing bundles of Alice's client (403, nothing stored)", async () => {
    const before = await aliceView()
    const bobBefore = await bundleIds(server.url, bob.token)
    const asAlice = await call(server.url, ROUTES.sync, {
      token: bob.token,
      json: { ...validSync(aliceClient), bundles: [] },
    })
    expect(asAlice.status).toBe(403)
    const push = { ...validSync(bobClient), bundles: [validBundle(aliceClient, Date.now())] }
    const pushed = await call(server.url, ROUTES.sync, { token: bob.token, json: push })
    expect(pushed.status).toBe(403)
    expect((pushed.body as { error: { code: string } }).error.code).toBe('forbidden')
    expect(await aliceView()).toEqual(before)
    expect(await bundleIds(server.url, bob.token)).toEqual(bobBefore)
  })

  it("never shows Bob Alice's bundles: not by id, not by bundle-ids, not through Alice's cursor", async () => {
    const got = await call(server.url, ROUTES.getBundles, {
      token: bob.token,
      json: { ids: aliceIds },
    })
    expect(got.status).toBeLessThan(500)
    const shown = got.status === 200 ? (got.body as { bundles: Bundle[] }).bundles : []
    expect(shown.filter((b) => aliceIds.includes(b.id))).toEqual([])
    expect((await bundleIds(server.url, bob.token)).filter((id) => aliceIds.includes(id))).toEqual(
      [],
    )
    for (const after of ['', '0', aliceCursor]) {
      const page = await call(server.url, `${ROUTES.bundles}?after=${after}`, { token: bob.token })
      expect(page.status).toBeLessThan(500)
      const bundles = page.status === 200 ? (page.body as { bundles: Bundle[] }).bundles : []
      expect(bundles.filter((b) => aliceIds.includes(b.id))).toEqual([])
      const sync = await call(server.url, ROUTES.sync, {
        token: bob.token,
        json: { ...validSync(newId()), cursor: after === '' ? null : after, bundles: [] },
      })
      expect(sync.status).toBe(200)
      const pulled = (sync.body as { bundles: Bundle[] }).bundles
      expect(pulled.filter((b) => aliceIds.includes(b.id))).toEqual([])
    }
  })

  it("cannot overwrite Alice's bundle or events by reusing their ids", async () => {
    const before = await aliceView()
    const forged = validBundle(bobClient, Date.now(), 'forged')
    const reused = {
      ...forged,
      id: aliceBundle.id,
      events: forged.events.map((e) => ({ ...e, id: aliceBundle.events[0]?.id as string })),
    }
    for (const bundle of [reused, { ...forged, id: aliceBundle.id }, { ...reused, id: newId() }]) {
      const answer = await call(server.url, ROUTES.sync, {
        token: bob.token,
        json: { ...validSync(bobClient), bundles: [bundle] },
      })
      expect(answer.status).toBeLessThan(500)
    }
    expect(await aliceView()).toEqual(before)
  })

  it('refuses writes into another user’s private space (POST /v1/spaces/:space/writes)', async () => {
    const before = await aliceView()
    const answer = await call(server.url, routePath(ROUTES.writes, { space: alice.id }), {
      token: bob.token,
      json: aliceWrites,
    })
    expect([answer.status, (answer.body as { error?: { code?: string } }).error?.code]).toEqual([
      403,
      'forbidden',
    ])
    expect(await aliceView()).toEqual(before)
  })

  it('answers 401 on every authenticated route without a valid token', async () => {
    const routes: Array<[string, unknown]> = [
      [ROUTES.sync, validSync(aliceClient)],
      [ROUTES.bundles, undefined],
      [ROUTES.bundleIds, undefined],
      [ROUTES.getBundles, { ids: aliceIds }],
      [ROUTES.live, undefined],
      [routePath(ROUTES.writes, { space: alice.id }), aliceWrites],
    ]
    for (const [route, json] of routes) {
      for (const token of [
        undefined,
        '',
        'x',
        `${alice.token}x`,
        alice.token.slice(0, -1),
        alice.token.toUpperCase(),
      ]) {
        const answer = await call(server.url, route, {
          ...(token !== undefined && { token }),
          ...(json !== undefined && { json }),
        })
        expect([route, token, answer.status]).toEqual([route, token, 401])
      }
    }
    expect((await call(server.url, ROUTES.health)).status).toBe(200)
  })

  it('refuses a revoked token on every route at once, and leaves the other user alone', async () => {
    const bobIds = await bundleIds(server.url, bob.token)
    expect(bobIds.length).toBeGreaterThan(0)
    await tidingsCli(['user', 'revoke', 'bob', '--db', db.url])
    const routes: Array<[string, unknown]> = [
      [ROUTES.sync, { ...validSync(bobClient), bundles: [] }],
      [ROUTES.bundles, undefined],
      [ROUTES.bundleIds, undefined],
      [ROUTES.getBundles, { ids: bobIds }],
      [ROUTES.live, undefined],
      [routePath(ROUTES.writes, { space: bob.id }), aliceWrites],
    ]
    for (const [route, json] of routes) {
      const answer = await call(server.url, route, {
        token: bob.token,
        ...(json !== undefined && { json }),
      })
      expect([route, answer.status]).toEqual([route, 401])
    }
    expect(await bundleIds(server.url, alice.token)).toEqual(aliceIds)
  })

  it('never writes a token to the server log', async () => {
    // Tokens in places a careless logger would print: bad schemes, bodies of refused requests.
    await call(server.url, ROUTES.sync, {
      headers: { authorization: `Token ${alice.token}` },
      json: {},
    })
    await call(server.url, ROUTES.sync, {
      token: alice.token,
      json: { token: alice.token, client: alice.token },
    })
    await call(server.url, ROUTES.getBundles, { token: alice.token, json: { ids: [alice.token] } })
    const logs = server.logs()
    expect(logs.length).toBeGreaterThan(0)
    for (const user of [alice, bob]) {
      // Any 12-character window of a token counts as a leak, not only the whole token.
      for (let i = 0; i + 12 <= user.token.length; i++)
        expect(logs).not.toContain(user.token.slice(i, i + 12))
    }
    console.log(`[security] ${logs.split('\n').length} log lines checked for 2 tokens`)
  })
})
