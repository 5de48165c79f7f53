import { describe, expect, it } from 'vitest'
import { addUser, ensureUserWithToken, revokeUser } from '../../auth/users.js'
import { appSuite } from '../../testing/app-suite.js'
import { TEST_BACKENDS } from '../../testing/backends.js'
import { TestClient } from '../../testing/fixtures.js'
import { type ErrorAnswer, injector } from '../../testing/inject.js'

/**
 * `POST /v1/sync` remembers who a token names and lets the store confirm the token inside the
 * push itself. Remembering must never outlive the token: a token revoked or replaced after it
 * was seen is refused on its very next request, with nothing stored and no client registered.
 */
describe.each(TEST_BACKENDS)('sync with a remembered token on $name', (backend) => {
  const suite = appSuite(backend)

  const seenUser = async (name: string) => {
    const user = await addUser(suite.store, name)
    const api = injector(suite.app, user.token)
    const device = new TestClient()
    expect((await api.sync(device.syncBody([device.bundle()]))).status).toBe(200)
    return { user, api, device }
  }

  it('refuses a revoked token at once, whether it pushes, pulls or names a new client', async () => {
    const { user, api, device } = await seenUser(`revoked-${backend.name.replace(/\W/g, '')}`)
    await revokeUser(suite.store, user.name)
    const newDevice = new TestClient()
    const refused = [
      await api.sync<ErrorAnswer>(device.syncBody([device.bundle()])),
      await api.sync<ErrorAnswer>(device.syncBody([])),
      await api.sync<ErrorAnswer>(newDevice.syncBody([newDevice.bundle()])),
    ]
    expect(refused.map((r) => [r.status, r.body.error.code])).toEqual([
      [401, 'unauthorized'],
      [401, 'unauthorized'],
      [401, 'unauthorized'],
    ])
    // Unclaimed still: another user can register it.
    const other = await addUser(suite.store, `other-${backend.name.replace(/\W/g, '')}`)
    const owners = await suite.store.registerClients(other.id, [newDevice.id], Date.now())
    expect(owners.get(newDevice.id)).toBe(other.id)
    expect((await suite.store.bundleIds(user.id)).length).toBe(1)
  })

  it('refuses a replaced token and accepts its successor', async () => {
    const name = `replaced-${backend.name.replace(/\W/g, '')}`
    const { user, api, device } = await seenUser(name)
    await ensureUserWithToken(suite.store, name, 'a-new-token-for-this-user')
    const stale = await api.sync<ErrorAnswer>(device.syncBody([device.bundle()]))
    expect(stale.status).toBe(401)
    const fresh = injector(suite.app, 'a-new-token-for-this-user')
    expect((await fresh.sync(device.syncBody([device.bundle()]))).status).toBe(200)
    expect((await suite.store.bundleIds(user.id)).length).toBe(2)
  })

  it('answers 401, not 400, to a revoked token with a bad request', async () => {
    const { user, api } = await seenUser(`badbody-${backend.name.replace(/\W/g, '')}`)
    await revokeUser(suite.store, user.name)
    const answer = await api.sync<ErrorAnswer>({ client: 'not-an-id', bundles: 'nope' })
    expect([answer.status, answer.body.error.code]).toEqual([401, 'unauthorized'])
  })
})
