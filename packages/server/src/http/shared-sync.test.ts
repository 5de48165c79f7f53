import { type Bundle, newId, SYNC_PROTOCOL } from '@tidings/protocol'
import type { Kysely } from 'kysely'
import { describe, expect, it } from 'vitest'
import { addUser } from '../auth/users.js'
import type { Database } from '../store/schema.js'
import { appSuite } from '../testing/app-suite.js'
import { TEST_BACKENDS } from '../testing/backends.js'
import { TestClient } from '../testing/fixtures.js'
import { type ErrorAnswer, injector, type SyncAnswer } from '../testing/inject.js'
import { SpaceFixture } from '../testing/space-fixture.js'
import { parseSpacesCursor } from './cursor.js'

interface Answer extends SyncAnswer {
  bundles: Array<SyncAnswer['bundles'][number] & { space?: string }>
  spaces?: Array<{ id: string; name: string; role: string | null }>
  reset?: true
}

/** Two people share a space through `POST /v1/sync` alone (protocol 3), on every backend. */
describe.each(TEST_BACKENDS)('sharing a space through /v1/sync on $name', (backend) => {
  const suite = appSuite(backend, { pageEvents: 100 })

  /** A user with one device that syncs protocol 3 and remembers its cursor. */
  const person = async () => {
    const user = await addUser(suite.store, `user-${newId().slice(-12)}`)
    const api = injector(suite.app, user.token)
    const device = new TestClient()
    let cursor: string | null = null
    const received: Answer['bundles'] = []
    const changes: NonNullable<Answer['spaces']> = []
    const sync = async (bundles: Bundle[] = []) => {
      const answer = await api.sync<Answer>({
        protocol: SYNC_PROTOCOL,
        ...device.syncBody(bundles, cursor),
      })
      if (answer.status !== 200) return answer
      cursor = answer.body.cursor
      received.push(...answer.body.bundles)
      changes.push(...(answer.body.spaces ?? []))
      return answer
    }
    /** Syncs until the server has nothing more. */
    const drain = async () => {
      for (let i = 0; i < 100; i++) if (!(await sync()).body.more) return
      throw new Error('the server never ran out of pages')
    }
    return { id: user.id, api, device, sync, drain, received, changes, cursor: () => cursor }
  }

  it("carries a writer's bundles to the owner, tagged with their space, and the owner's back", async () => {
    const [owner, writer] = [await person(), await person()]
    const fixture = new SpaceFixture(suite.store)
    const space = await fixture.createSpace(owner.id, 'family')
    await fixture.join(space, writer.id, 'writer')
    const shared = { ...writer.device.bundle(), space }
    const mine = writer.device.bundle()
    const pushed = await writer.sync([shared, mine])
    expect(pushed.status).toBe(200)
    expect(pushed.body.accepted).toEqual([shared.id, mine.id])
    expect(pushed.body.spaces).toEqual([{ id: space, name: 'family', role: 'writer' }])
    expect(pushed.body.bundles).toEqual([]) // its own device's bundles stay out
    await owner.drain()
    expect(owner.received).toEqual([JSON.parse(JSON.stringify(shared))])
    expect(owner.changes).toEqual([{ id: space, name: 'family', role: 'owner' }])
    expect(parseSpacesCursor(owner.cursor()).feed.after).toBeGreaterThan(0)
    const reply = { ...owner.device.bundle(), space }
    await owner.sync([reply])
    await writer.drain()
    expect(writer.received.map((b) => [b.id, b.space])).toEqual([[reply.id, space]])
    // The writer's private bundle never reaches the owner.
    expect(owner.received.map((b) => b.id)).not.toContain(mine.id)
  })

  it('refuses a reader whole, with the bundles and the role to set aside', async () => {
    const [owner, reader] = [await person(), await person()]
    const fixture = new SpaceFixture(suite.store)
    const space = await fixture.createSpace(owner.id)
    await fixture.join(space, reader.id, 'reader')
    const shared = { ...reader.device.bundle(), space }
    const answer = await reader.sync([reader.device.bundle(), shared])
    expect(answer.status).toBe(403)
    const error = (answer.body as unknown as ErrorAnswer).error
    expect(error.code).toBe('forbidden')
    expect(error.details).toEqual({ bundles: [shared.id], spaces: [{ id: space, role: 'reader' }] })
    expect((await reader.api.ids()).body.ids).toEqual([])
  })

  it('gives a new member the whole history and a removed one nothing more', async () => {
    const [owner, late, gone] = [await person(), await person(), await person()]
    const fixture = new SpaceFixture(suite.store)
    const space = await fixture.createSpace(owner.id, 'club')
    await fixture.join(space, gone.id, 'reader')
    const early = Array.from({ length: 5 }, () => ({ ...owner.device.bundle(), space }))
    await owner.sync(early)
    await gone.drain()
    await fixture.remove(space, gone.id)
    await fixture.join(space, late.id, 'reader')
    const later = { ...owner.device.bundle(), space }
    await owner.sync([later])
    await late.drain()
    await gone.drain()
    expect(late.received.map((b) => b.id)).toEqual([...early, later].map((b) => b.id))
    expect(gone.received.map((b) => b.id)).toEqual(early.map((b) => b.id))
    expect(gone.changes.map((c) => c.role)).toEqual(['reader', null])
  })

  it("lists and fetches a space's bundles for its members only", async () => {
    const [owner, friend] = [await person(), await person()]
    const fixture = new SpaceFixture(suite.store)
    const space = await fixture.createSpace(owner.id)
    await fixture.join(space, friend.id, 'reader')
    const shared = { ...owner.device.bundle(), space }
    const mine = owner.device.bundle()
    await owner.sync([shared, mine])
    const ask = async (who: typeof owner, query = '') => who.api.idsOf(query)
    expect((await ask(friend, `?space=${space}`)).body).toEqual({ ids: [shared.id] })
    expect((await ask(owner)).body).toEqual({ ids: [mine.id] })
    expect((await friend.api.get([shared.id, mine.id])).body.bundles).toEqual([
      JSON.parse(JSON.stringify(shared)),
    ])
    await fixture.remove(space, friend.id)
    expect((await ask(friend, `?space=${space}`)).status).toBe(403)
    expect((await friend.api.get([shared.id])).body.bundles).toEqual([])
  })

  it('keeps a protocol 2 client on its private stream with the cursor it always had', async () => {
    const [owner] = [await person()]
    const fixture = new SpaceFixture(suite.store)
    const space = await fixture.createSpace(owner.id)
    await owner.sync([{ ...owner.device.bundle(), space }])
    const laptop = new TestClient()
    const mine = laptop.bundle()
    const old = await owner.api.sync<Answer>({ protocol: 2, ...laptop.syncBody([mine]) })
    expect(old.body.cursor).toMatch(/^1\.1\.[0-9A-Za-z_-]{16}$/)
    expect(old.body.spaces).toBeUndefined()
    const phone = new TestClient()
    const again = await owner.api.sync<Answer>({ protocol: 2, ...phone.syncBody([]) })
    expect(again.body.bundles.map((b) => b.id)).toEqual([mine.id])
    // The same device upgraded to protocol 3 keeps its cursor and reads its spaces from the start.
    const upgraded = await owner.api.sync<Answer>({
      protocol: SYNC_PROTOCOL,
      ...phone.syncBody([], again.body.cursor),
    })
    expect(upgraded.body.bundles.map((b) => b.space)).toEqual([space])
    expect(upgraded.body.cursor).toMatch(/^1\.1\.[0-9A-Za-z_-]{16}:[0-9a-z]+\.0\.[0-9A-Za-z_-]{8}$/)
  })

  it('replays everything, marked reset, after a restore put another feed entry where the cursor stood', async () => {
    const [owner] = [await person()]
    const fixture = new SpaceFixture(suite.store)
    const space = await fixture.createSpace(owner.id)
    const seen = { ...owner.device.bundle(), space }
    await owner.sync([seen])
    const phone = new TestClient()
    const first = await owner.api.sync<Answer>({ protocol: SYNC_PROTOCOL, ...phone.syncBody([]) })
    expect(first.body.bundles.map((b) => b.id)).toEqual([seen.id])
    // The restore: the feed loses its last entry and the space its bundle; then another push
    // takes the same feed position and the same space position.
    const db = (suite.store as unknown as { db: Kysely<Database> }).db
    const feed = await db
      .selectFrom('feeds')
      .select('last_pos')
      .where('user_id', '=', owner.id)
      .executeTakeFirstOrThrow()
    await db
      .deleteFrom('feed')
      .where('user_id', '=', owner.id)
      .where('pos', '=', feed.last_pos)
      .execute()
    await db
      .updateTable('feeds')
      .set({ last_pos: Number(feed.last_pos) - 1 })
      .where('user_id', '=', owner.id)
      .execute()
    await db.deleteFrom('bundles').where('stream', '=', space).execute()
    await db.updateTable('streams').set({ last_seq: 0 }).where('stream', '=', space).execute()
    const other = { ...owner.device.bundle(), space }
    await owner.sync([other])
    const next = await owner.api.sync<Answer>({
      protocol: SYNC_PROTOCOL,
      ...phone.syncBody([], first.body.cursor),
    })
    expect(next.body.reset).toBe(true)
    expect(next.body.bundles.map((b) => b.id)).toEqual([other.id])
  })

  it('replays everything, marked reset, for a cursor naming a feed entry that is not there', async () => {
    const [owner] = [await person()]
    const fixture = new SpaceFixture(suite.store)
    const space = await fixture.createSpace(owner.id)
    const shared = { ...owner.device.bundle(), space }
    await owner.sync([shared])
    const phone = new TestClient()
    const answer = await owner.api.sync<Answer>({
      protocol: SYNC_PROTOCOL,
      ...phone.syncBody([], '0:9.0.AAAAAAAA'),
    })
    expect(answer.body.reset).toBe(true)
    expect(answer.body.bundles.map((b) => b.id)).toEqual([shared.id])
  })
})
