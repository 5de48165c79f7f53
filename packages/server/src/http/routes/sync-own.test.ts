import { SYNC_PROTOCOL } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { addUser } from '../../auth/users.js'
import { appSuite } from '../../testing/app-suite.js'
import { TEST_BACKENDS } from '../../testing/backends.js'
import { TestClient } from '../../testing/fixtures.js'
import { injector } from '../../testing/inject.js'

/**
 * A sync's page leaves out the bundles its request carried (the caller holds them), never the
 * caller's whole history. A device whose database rolled back lacks some of its own bundles,
 * and they can reach the server after it resumed: pushed back by a sibling that held a copy
 * (its recovery from a restored server), or by a request of its own sent before the rollback
 * that arrived late. Only a pull brings them: the device's `resume` looked before they landed.
 * (Found by the chaos suite: a replica's `verify` still found such bundles after quiescence.)
 */
describe.each(TEST_BACKENDS)('a sync page and the caller’s own bundles on $name', (backend) => {
  const suite = appSuite(backend)
  let users = 0

  const setup = async () => {
    const user = await addUser(suite.store, `own-${backend.name.replace(/\W/g, '')}-${users++}`)
    const api = injector(suite.app, user.token)
    const device = new TestClient()
    const sibling = new TestClient()
    const body = (
      from: TestClient,
      bundles: ReturnType<TestClient['bundle']>[],
      cursor: string,
    ) => ({
      ...from.syncBody(bundles, cursor),
      protocol: SYNC_PROTOCOL,
    })
    // Both devices known to the server, the device's cursor at the head.
    const first = await api.sync(body(device, [device.bundle()], ''))
    await api.sync(body(sibling, [sibling.bundle()], ''))
    const start = await api.sync(body(device, [], first.body.cursor))
    expect(start.body.bundles).toHaveLength(1)
    return { api, device, sibling, body, cursor: start.body.cursor }
  }

  it('brings the device its own bundle that a sibling pushed back', async () => {
    const { api, device, sibling, body, cursor } = await setup()
    // The device wrote it, then lost it to a rollback; the sibling's copy is the last one.
    const lost = device.bundle()
    const pushedBack = await api.sync(body(sibling, [lost], ''))
    expect(pushedBack.body.accepted).toEqual([lost.id])
    const next = await api.sync(body(device, [], cursor))
    expect(next.status).toBe(200)
    expect(next.body.bundles.map((b) => b.id)).toEqual([lost.id])
  })

  it('brings the device its own bundle that an earlier request stored late', async () => {
    const { api, device, body, cursor } = await setup()
    // Sent before the device rolled back, stored after it resumed; its answer never arrived.
    const late = device.bundle()
    expect((await api.sync(body(device, [late], cursor))).body.accepted).toEqual([late.id])
    const next = await api.sync(body(device, [], cursor))
    expect(next.body.bundles.map((b) => b.id)).toEqual([late.id])
  })

  it('leaves out the bundles the request carries, at the head and behind it', async () => {
    const { api, device, sibling, body, cursor } = await setup()
    const own = device.bundle()
    const atHead = await api.sync(body(device, [own], cursor))
    expect(atHead.body.bundles).toEqual([])
    const other = sibling.bundle()
    await api.sync(body(sibling, [other], ''))
    const mine = [device.bundle(), device.bundle()]
    const behind = await api.sync(body(device, mine, atHead.body.cursor))
    expect(behind.body.bundles.map((b) => b.id)).toEqual([other.id])
    // Its cursor passed its own bundles: the next pull brings nothing again.
    expect((await api.sync(body(device, [], behind.body.cursor))).body.bundles).toEqual([])
  })
})
