import { newId, SYNC_PROTOCOL } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { addUser } from '../auth/users.js'
import { markOf } from '../store/mark.js'
import { appSuite } from '../testing/app-suite.js'
import { TEST_BACKENDS } from '../testing/backends.js'
import { TestClient } from '../testing/fixtures.js'
import { injector, type SyncAnswer } from '../testing/inject.js'
import { formatCursor, parseCursor } from './cursor.js'

interface Answer extends SyncAnswer {
  reset?: true
  own?: { bundle: string; hlc: string } | null
}

describe('cursor text', () => {
  it('reads plain positions, marked positions, and anything else as the beginning', () => {
    expect(parseCursor(null)).toEqual({ after: 0, readable: true })
    expect(parseCursor('42')).toEqual({ after: 42, readable: true })
    const mark = 'abcdefghijklmn_-'
    expect(parseCursor(`40.42.${mark}`)).toEqual({
      after: 40,
      check: { seq: 42, mark },
      readable: true,
    })
    for (const text of ['abc', '1.2', '1.2.short', '5.4.abcdefghijklmn_-', '-1'])
      expect(parseCursor(text)).toEqual({ after: 0, readable: false })
    expect(formatCursor(7, { seq: 9, mark })).toBe(`7.9.${mark}`)
    expect(formatCursor(0, null)).toBe('0')
  })

  it('marks a bundle by content and arrival, so a later copy never passes for it', () => {
    expect(markOf('hash', 1_000)).toBe(markOf('hash', '1000'))
    expect(markOf('hash', 1_000)).not.toBe(markOf('hash', 1_001))
    expect(markOf('hash', 1_000)).not.toBe(markOf('hasH', 1_000))
    expect(markOf('hash', 1_000)).toMatch(/^[0-9A-Za-z_-]{16}$/)
  })
})

/** Invariant 7 on every backend: the checks run in each dialect's page query. */
describe.each(TEST_BACKENDS)('cursors on $name', (backend) => {
  const suite = appSuite(backend, { pageEvents: 100 })

  const setUp = async () => {
    const user = await addUser(suite.store, `user-${newId().slice(-12)}`)
    const api = injector(suite.app, user.token)
    const phone = new TestClient()
    const laptop = new TestClient()
    const v2 = (device: TestClient, bundles = [device.bundle()], cursor: string | null = null) =>
      api.sync<Answer>({ protocol: SYNC_PROTOCOL, ...device.syncBody(bundles, cursor) })
    return { api, phone, laptop, v2 }
  }

  it('gives marked cursors to clients that speak protocol 2, plain ones to released clients', async () => {
    const { api, phone, laptop, v2 } = await setUp()
    const marked = await v2(phone)
    expect(marked.body.cursor).toMatch(/^1\.1\.[0-9A-Za-z_-]{16}$/)
    expect(marked.body.reset).toBeUndefined()
    const plain = await api.sync<Answer>(laptop.syncBody([laptop.bundle()]))
    expect(plain.body.cursor).toBe('2')
    // A released client's plain cursor still works after its upgrade, and comes back marked.
    const upgraded = await v2(laptop, [], plain.body.cursor)
    expect(upgraded.body).toMatchObject({ bundles: [], more: false })
    expect(upgraded.body.cursor).toMatch(/^2\.2\./)
    expect(upgraded.body.reset).toBeUndefined()
  })

  it('answers a cursor whose mark no longer matches with the whole stream, marked reset', async () => {
    const { phone, laptop, v2 } = await setUp()
    const first = await v2(phone, [phone.bundle(), phone.bundle()])
    const [after, head] = first.body.cursor.split('.')
    const forged = `${after}.${head}.AAAAAAAAAAAAAAAA`
    const replay = await v2(laptop, [], forged)
    expect(replay.body.reset).toBe(true)
    expect(replay.body.bundles).toHaveLength(2)
    expect(replay.body.cursor).toBe(first.body.cursor)
    // A head the stream never reached (restored to an older copy): the same.
    const beyond = await v2(laptop, [], `${after}.99.AAAAAAAAAAAAAAAA`)
    expect(beyond.body).toMatchObject({ reset: true, more: false })
    expect(beyond.body.bundles).toHaveLength(2)
    // The pushes of a request with a stale cursor are stored and acknowledged all the same.
    const bundle = laptop.bundle()
    const pushed = await v2(laptop, [bundle], forged)
    expect(pushed.body).toMatchObject({ reset: true, accepted: [bundle.id] })
  })

  it('marks the head a client at the head pushes to, and still checks the mark it sent', async () => {
    const { phone, v2 } = await setUp()
    let cursor = (await v2(phone)).body.cursor
    for (let i = 0; i < 3; i++) {
      const answer = await v2(phone, [phone.bundle()], cursor)
      expect(answer.body.reset).toBeUndefined()
      expect(answer.body.cursor).toMatch(new RegExp(`^${i + 2}\\.${i + 2}\\.`))
      cursor = answer.body.cursor
    }
    // The mark it was given is the one the server reads back: nothing to pull, no reset.
    const quiet = await v2(phone, [], cursor)
    expect(quiet.body).toMatchObject({ bundles: [], more: false, cursor })
    expect(quiet.body.reset).toBeUndefined()
    // At the head with a wrong mark, pushing its own bundle: caught all the same.
    const [after, head] = cursor.split('.')
    const caught = await v2(phone, [phone.bundle()], `${after}.${head}.AAAAAAAAAAAAAAAA`)
    expect(caught.body.reset).toBe(true)
  })

  it('replays a cursor it cannot read from the beginning instead of refusing it', async () => {
    const { api, phone, laptop, v2 } = await setUp()
    await v2(phone)
    const v2Answer = await v2(laptop, [], 'not-a-cursor-we-gave')
    expect(v2Answer.status).toBe(200)
    expect(v2Answer.body).toMatchObject({ reset: true })
    expect(v2Answer.body.bundles).toHaveLength(1)
    const released = await api.sync<Answer>(laptop.syncBody([], 'not-a-cursor-we-gave'))
    expect(released.status).toBe(200)
    expect(released.body.reset).toBeUndefined()
    expect(released.body.bundles).toHaveLength(1)
  })

  it('replays, marked reset, when a plain cursor of an upgraded client is past the head', async () => {
    const { api, phone, laptop, v2 } = await setUp()
    await v2(phone)
    // Released clients keep trusting plain cursors: nothing to check them against.
    expect((await api.sync<Answer>(laptop.syncBody([], '9'))).body.reset).toBeUndefined()
    const upgraded = await v2(laptop, [], '9')
    expect(upgraded.body).toMatchObject({ reset: true, more: false })
    expect(upgraded.body.bundles).toHaveLength(1)
    expect(upgraded.body.cursor).toMatch(/^1\.1\./)
  })

  it('checks and marks cursors on GET /v1/bundles too, from the first call on', async () => {
    const { api, phone, v2 } = await setUp()
    expect((await api.pull<Answer>()).body.cursor).toBe('0')
    const { body } = await v2(phone, [phone.bundle(), phone.bundle()])
    expect((await api.pull<Answer>()).body.cursor).toBe(body.cursor)
    expect((await api.pull<Answer>('?after=')).body.cursor).toBe(body.cursor)
    const fresh = await api.pull<Answer>(`?after=${body.cursor}`)
    expect(fresh.body).toMatchObject({ bundles: [], cursor: body.cursor })
    expect(fresh.body.reset).toBeUndefined()
    const [after, head] = body.cursor.split('.')
    const stale = await api.pull<Answer>(`?after=${after}.${head}.AAAAAAAAAAAAAAAA`)
    expect(stale.body).toMatchObject({ reset: true, cursor: body.cursor })
    expect(stale.body.bundles).toHaveLength(2)
  })

  it('tells a resuming client its latest bundle on the server, null before its first', async () => {
    const { api, phone, laptop, v2 } = await setUp()
    const resume = async (device: TestClient) =>
      (await api.sync<Answer>({ protocol: SYNC_PROTOCOL, ...device.syncBody([]), resume: true }))
        .body
    expect((await v2(laptop, [])).body.own).toBeUndefined()
    expect((await resume(laptop)).own).toBeNull()
    const bundles = [phone.bundle(), phone.bundle()]
    await v2(phone, bundles)
    await v2(laptop)
    const latest = bundles[1]!
    expect((await resume(phone)).own).toEqual({ bundle: latest.id, hlc: latest.hlc })
  })
})
