import { newId, SYNC_PROTOCOL } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { addUser } from '../auth/users.js'
import { horizonBefore } from '../store/compaction/plan.js'
import { appSuite } from '../testing/app-suite.js'
import { TEST_BACKENDS } from '../testing/backends.js'
import { TestClient } from '../testing/fixtures.js'
import { injector, type SyncAnswer } from '../testing/inject.js'

type Answer = SyncAnswer & { horizons?: Array<{ space?: string; hlc: string }> }

/**
 * What a device sees of a compacted space over HTTP: only the winners below the horizon, the
 * horizon itself beside the page, and a `verify` that finds the emptied bundles listed but
 * with nothing to fetch.
 */
describe.each(TEST_BACKENDS)('compacted history over HTTP on $name', (backend) => {
  const suite = appSuite(backend)
  let users = 0

  it('sends a new device the winners, with the horizon', async () => {
    const user = await addUser(suite.store, `compact-${backend.name.replace(/\W/g, '')}-${users++}`)
    const api = injector(suite.app, user.token)
    const [writer, fresh] = [new TestClient(), new TestClient()]
    const entity = newId()
    const first = writer.bundle({ events: [writer.event({ entity, value: 'a' })] })
    const second = writer.bundle({ events: [writer.event({ entity, value: 'b' })] })
    const body = (from: TestClient, bundles: (typeof first)[], cursor: string) => ({
      ...from.syncBody(bundles, cursor),
      protocol: SYNC_PROTOCOL,
    })
    const before = await api.sync<Answer>(body(writer, [first, second], ''))
    expect(before.body.horizons).toBeUndefined()
    const horizon = horizonBefore(Date.now() + 1, 0)
    await suite.store.compact({ space: user.id, horizon })

    const synced = await api.sync<Answer>(body(fresh, [], ''))
    expect(synced.status).toBe(200)
    expect(synced.body.bundles.map((b) => b.id)).toEqual([second.id])
    expect(synced.body.horizons).toEqual([{ hlc: horizon }])
    const pulled = await api.pull<{ bundles: unknown[]; horizons?: unknown }>()
    expect(pulled.body).toMatchObject({
      bundles: [{ id: second.id }],
      horizons: [{ hlc: horizon }],
    })
    // The writer, whose cursor is at the head, pushes its first bundle again: acknowledged.
    const again = await api.sync<Answer>(body(writer, [first], before.body.cursor))
    expect(again.body.accepted).toEqual([first.id])
    expect(again.body.bundles).toEqual([])
    // verify: the emptied bundle is listed, and fetching it gives nothing to apply.
    expect((await api.ids()).body.ids).toEqual([first.id, second.id])
    expect((await api.get([first.id, second.id])).body.bundles.map((b) => b.id)).toEqual([
      second.id,
    ])
  })
})
