import type { FastifyInstance } from 'fastify'
import { SignJWT } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { buildApp } from '../../http/app.js'
import { openStore } from '../../store/kysely-store.js'
import type { Store } from '../../store/store.js'
import { TEST_BACKENDS, type TestDatabase } from '../../testing/backends.js'
import { TestClient } from '../../testing/fixtures.js'
import { type ErrorAnswer, injector } from '../../testing/inject.js'
import { type DevIssuer, startDevIssuer } from '../../testing/jwt-issuer.js'
import { addUser, revokeUser } from '../users.js'
import { parseJwtIssuers } from './config.js'
import { identityUserName } from './jwt-users.js'

const SECRET = 'the-second-issuer-shares-this-secret!'

/** An HS256 token of the second issuer (a shared-secret provider, as Supabase uses). */
const sharedToken = (sub: string) =>
  new SignJWT({
    sub,
    aud: 'tidings',
    iss: 'https://shared.example',
    exp: Math.floor(Date.now() / 1000) + 600,
  })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(SECRET))

// One suite over every backend: identities are stored (the migration and the first-sight race).
describe.each(TEST_BACKENDS)('JWT users beside server-token users ($name)', ({ create }) => {
  let idp: DevIssuer
  let db: TestDatabase
  let store: Store
  let app: FastifyInstance
  beforeEach(async () => {
    idp = await startDevIssuer()
    db = await create()
    store = await openStore(db.url)
    const jwtIssuers = parseJwtIssuers(
      [
        { issuer: idp.issuer, jwksUrl: idp.jwksUrl, audience: 'tidings' },
        { issuer: 'https://shared.example', secret: SECRET, audience: 'tidings' },
      ],
      'test',
    )
    app = await buildApp({ store, jwtIssuers, rateLimit: false })
  })
  afterEach(async () => {
    await app.close()
    await store.close()
    await db.dispose()
    await idp.close()
  })

  /** Pushes one bundle as `token` from a new device; answers the bundle's id. */
  const push = async (token: string) => {
    const device = new TestClient()
    const bundle = device.bundle()
    const answer = await injector(app, token).sync(device.syncBody([bundle]))
    expect(answer.status).toBe(200)
    return bundle.id
  }

  /** Everything `token` can read: its pulled bundles, its bundle ids, and what get returns of `ids`. */
  const view = async (token: string, ids: string[]) => {
    const as = injector(app, token)
    const pulled = await as.sync<{ bundles: Array<{ id: string }> }>(new TestClient().syncBody([]))
    const got = await as.get(ids)
    const paged = await as.pull()
    return {
      pulled: pulled.body.bundles.map((b) => b.id).sort(),
      paged: paged.body.bundles.map((b) => b.id).sort(),
      ids: (await as.ids()).body.ids.sort(),
      got: got.body.bundles.map((b) => b.id).sort(),
    }
  }

  it('creates the user (issuer, sub) on first sight, with its private stream, and finds it again', async () => {
    const token = await idp.sign({ sub: 'alice' })
    const id = await push(token)
    const again = await idp.sign({ sub: 'alice' })
    expect(await view(again, [id])).toEqual({ pulled: [id], paged: [id], ids: [id], got: [id] })
    const users = await store.listUsers()
    expect(users.map((u) => u.name)).toEqual([identityUserName(idp.issuer, 'alice')])
  })

  it('makes one user of racing first sights', async () => {
    const tokens = await Promise.all(Array.from({ length: 8 }, () => idp.sign({ sub: 'racer' })))
    await Promise.all(tokens.map((t) => push(t)))
    expect(await store.listUsers()).toHaveLength(1)
  })

  it('isolates JWT users from each other, across issuers, and from CLI users (sync, bundle-ids, bundles/get)', async () => {
    const cli = await addUser(store, 'carol')
    const tokens = {
      alice: await idp.sign({ sub: 'alice' }),
      // The same subject at another issuer is another person.
      aliceElsewhere: await sharedToken('alice'),
      bob: await idp.sign({ sub: 'bob' }),
      carol: cli.token,
    }
    const own: Record<string, string> = {}
    for (const [who, token] of Object.entries(tokens)) own[who] = await push(token)
    const all = Object.values(own)
    for (const [who, token] of Object.entries(tokens)) {
      const mine = [own[who] as string]
      expect(await view(token, all), who).toEqual({
        pulled: mine,
        paged: mine,
        ids: mine,
        got: mine,
      })
    }
  })

  it("refuses a JWT user syncing as a CLI user's client, and the other way round (403)", async () => {
    const cli = await addUser(store, 'dave')
    const jwt = await idp.sign({ sub: 'erin' })
    const cliDevice = new TestClient()
    const jwtDevice = new TestClient()
    expect((await injector(app, cli.token).sync(cliDevice.syncBody([]))).status).toBe(200)
    expect((await injector(app, jwt).sync(jwtDevice.syncBody([]))).status).toBe(200)
    const stolen = await injector(app, jwt).sync(cliDevice.syncBody([cliDevice.bundle()]))
    expect(stolen.status).toBe(403)
    const back = await injector(app, cli.token).sync(jwtDevice.syncBody([jwtDevice.bundle()]))
    expect(back.status).toBe(403)
  })

  it('refuses a JWT user revoked on the server, whatever its provider says', async () => {
    // A device known to the server, so its next sync is confirmed inside the push itself.
    const device = new TestClient()
    const as = injector(app, await idp.sign({ sub: 'mallory' }))
    expect((await as.sync(device.syncBody([device.bundle()]))).status).toBe(200)
    await revokeUser(store, identityUserName(idp.issuer, 'mallory'))
    const sync = await injector(app, await idp.sign({ sub: 'mallory' })).sync(
      device.syncBody([device.bundle()]),
    )
    expect(sync.status).toBe(401)
    const answer = await injector(app, await idp.sign({ sub: 'mallory' })).ids()
    expect(answer.status).toBe(401)
    expect((answer.body as unknown as ErrorAnswer).error.details).toEqual({
      reason: 'user_revoked',
    })
  })

  it('answers each refusal as 401 unauthorized with details.reason', async () => {
    const expired = await idp.sign({ sub: 'a', exp: Math.floor(Date.now() / 1000) - 3600 })
    const answer = await injector(app, expired).ids()
    expect(answer.status).toBe(401)
    const { error } = answer.body as unknown as ErrorAnswer
    expect(error.code).toBe('unauthorized')
    expect(error.details).toEqual({ reason: 'token_expired' })
  })

  it('refuses JWTs on a server that trusts no issuer, naming the setting', async () => {
    const plain = await buildApp({ store, rateLimit: false })
    const answer = await injector(plain, await idp.sign({ sub: 'a' })).ids()
    await plain.close()
    expect(answer.status).toBe(401)
    expect((answer.body as unknown as ErrorAnswer).error.message).toMatch(/--jwt-config/)
  })
})
