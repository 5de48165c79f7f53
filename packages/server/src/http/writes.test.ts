import { defineSchema, newId, ROUTES, routePath, t } from '@tidings/protocol'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addUser } from '../auth/users.js'
import { openStore } from '../store/kysely-store.js'
import type { Store } from '../store/store.js'
import { TEST_BACKENDS, type TestDatabase } from '../testing/backends.js'
import { SpacesTestKit } from '../testing/spaces.js'
import { buildApp } from './app.js'

const schema = defineSchema({
  document: { title: t.string(), due: t.date().optional(), pages: t.number().optional() },
})

describe.each(TEST_BACKENDS)('POST /v1/spaces/:space/writes on $name', (backend) => {
  let database: TestDatabase
  let store: Store
  let app: FastifyInstance
  let untyped: FastifyInstance
  const kit = new SpacesTestKit(() => store)

  beforeAll(async () => {
    database = await backend.create()
    store = await openStore(database.url)
    app = await buildApp({ store, schema, rateLimit: false })
    untyped = await buildApp({ store, rateLimit: false })
  })
  afterAll(async () => {
    await app?.close()
    await untyped?.close()
    await store?.close()
    await database?.dispose()
  })

  /** A space of a fresh owner, and a fresh service user with `role` in it (and its token). */
  const serviceIn = async (role: 'writer' | 'reader' | null) => {
    const owner = await kit.user()
    const space = await kit.space(owner)
    const service = await addUser(store, `svc-${newId().slice(-12)}`)
    if (role) await kit.join(space, owner, service.id, role)
    return { space, service }
  }

  const post = (on: FastifyInstance, space: string, token: string, writes: unknown) =>
    on.inject({
      method: 'POST',
      url: routePath(ROUTES.writes, { space }),
      headers: { authorization: `Bearer ${token}` },
      payload: { writes } as Record<string, unknown>,
    })

  it('writes as the service user and answers the bundle, ids and HLCs', async () => {
    const { space, service } = await serviceIn('writer')
    const res = await post(app, space, service.token, [
      { op: 'create', type: 'document', fields: { title: 'Dune', due: '2030-01-02T00:00:00Z' } },
      { op: 'update', type: 'document', id: 'doc-2', fields: { pages: 3 } },
      { op: 'delete', type: 'document', id: 'doc-3' },
    ])
    expect(res.statusCode, res.body).toBe(200)
    const answer = res.json() as {
      bundle: string
      space: string
      hlc: string
      writes: Array<{ op: string; id: string; hlc: string }>
    }
    expect(answer.space).toBe(space)
    expect(answer.writes.map((w) => [w.op, w.id.length > 0])).toEqual([
      ['create', true],
      ['update', true],
      ['delete', true],
    ])
    expect(answer.hlc).toBe(answer.writes[2]?.hlc)
    const [bundle] = await store.getBundles(space, [answer.bundle])
    expect(bundle?.events.map((e) => [e.attribute, e.value])).toEqual([
      ['title', 'Dune'],
      ['due', '2030-01-02T00:00:00.000Z'],
      ['pages', 3],
      ['deleted', true],
    ])
  })

  it('refuses what does not fit the schema with a reason, and writes nothing', async () => {
    const { space, service } = await serviceIn('writer')
    const cases: Array<[unknown, string]> = [
      [[{ op: 'create', type: 'magazine', fields: {} }], 'unknown_type'],
      [
        [{ op: 'create', type: 'document', fields: { title: 'a', colour: 'red' } }],
        'unknown_attribute',
      ],
      [[{ op: 'update', type: 'document', id: 'd', fields: { pages: 'many' } }], 'wrong_value'],
      [[{ op: 'update', type: 'document', id: 'd', fields: { due: 'soon' } }], 'wrong_value'],
      [[{ op: 'create', type: 'document', fields: {} }], 'missing_attribute'],
    ]
    for (const [writes, reason] of cases) {
      const res = await post(app, space, service.token, writes)
      expect([res.statusCode, res.json().error.code, res.json().error.details?.reason]).toEqual([
        400,
        'bad_request',
        reason,
      ])
    }
    // The wire's own rules first: an unknown op or field, no writes at all.
    for (const writes of [[{ op: 'upsert', type: 'document', fields: {} }], [], 'x'])
      expect((await post(app, space, service.token, writes)).statusCode).toBe(400)
    expect(await store.bundleIds(space)).toEqual([])
  })

  it('refuses a reader, a non-member and a bad token', async () => {
    for (const role of ['reader', null] as const) {
      const { space, service } = await serviceIn(role)
      const res = await post(app, space, service.token, [
        { op: 'create', type: 'document', fields: { title: 'a' } },
      ])
      expect([res.statusCode, res.json().error.code]).toEqual([403, 'forbidden'])
      expect(await store.bundleIds(space)).toEqual([])
    }
    const { space } = await serviceIn(null)
    expect((await post(app, space, 'nope', [])).statusCode).toBe(401)
  })

  it('without a schema, checks only the wire: names and JSON values', async () => {
    const { space, service } = await serviceIn('writer')
    const ok = await post(untyped, space, service.token, [
      { op: 'create', type: 'anything', fields: { free: { form: [1] } } },
    ])
    expect(ok.statusCode, ok.body).toBe(200)
    const reserved = await post(untyped, space, service.token, [
      { op: 'update', type: 'anything', id: 'x', fields: { deleted: false } },
    ])
    expect(reserved.json().error.details.reason).toBe('unknown_attribute')
    const badName = await post(untyped, space, service.token, [
      { op: 'create', type: 'not a name', fields: {} },
    ])
    expect(badName.statusCode).toBe(400)
  })
})
