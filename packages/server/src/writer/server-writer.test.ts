import { defineSchema, type Event, schemaReason, type TidingsError, t } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { appSuite } from '../testing/app-suite.js'
import { TEST_BACKENDS } from '../testing/backends.js'
import { SpacesTestKit } from '../testing/spaces.js'
import { openServerWriter } from './server-writer.js'

const schema = defineSchema({
  document: {
    title: t.string(),
    author: t.string().renamedFrom('writer'),
    pages: t.number().optional(),
    due: t.date().optional(),
    shelved: t.boolean().default(false),
  },
})

/** The error `promise` rejects with. */
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a refusal')
    },
    (error: unknown) => error as TidingsError,
  )

describe.each(TEST_BACKENDS)('a server-side writer on $name', (backend) => {
  const suite = appSuite(backend, { rateLimit: false })
  const kit = new SpacesTestKit(() => suite.store)

  /** A space of a fresh owner in which a fresh service user has `role`. */
  const spaceWith = async (role: 'writer' | 'reader' | null) => {
    const owner = await kit.user()
    const service = await kit.user()
    const space = await kit.space(owner)
    if (role) await kit.join(space, owner, service, role)
    return { owner, service, space }
  }

  /** The events the space holds, in stream order. */
  const eventsOf = async (space: string): Promise<Event[]> => {
    const ids = await suite.store.bundleIds(space)
    return (await suite.store.getBundles(space, ids)).flatMap((b) => b.events)
  }

  it('writes a space as its service user: one bundle per write, as the app would write it', async () => {
    const { owner, service, space } = await spaceWith('writer')
    const writer = await openServerWriter({ store: suite.store, schema, user: service, space })
    const doc = await writer.create('document', { title: 'Dune', author: 'Herbert' })
    expect(doc).toMatchObject({ op: 'create', type: 'document' })
    const updated = await writer.update('document', doc.id, { pages: 412, due: new Date(0) })
    const deleted = await writer.delete('document', doc.id)
    expect(doc.hlc < updated.hlc && updated.hlc < deleted.hlc).toBe(true)
    const events = await eventsOf(space)
    expect(events.map((e) => [e.attribute, e.value])).toEqual([
      ['title', 'Dune'],
      ['author', 'Herbert'],
      ['writer', 'Herbert'], // its earlier name too, for devices on an earlier app version
      ['shelved', false], // the default
      ['pages', 412],
      ['due', '1970-01-01T00:00:00.000Z'],
      ['deleted', true],
    ])
    expect(new Set(events.map((e) => e.client))).toEqual(new Set([writer.client]))
    expect(new Set(events.map((e) => e.entity))).toEqual(new Set([doc.id]))
    // Members hear of it through their feed, as of any member's push.
    expect((await kit.feed(owner)).filter((f) => f.kind === 'push')).toHaveLength(3)
    await writer.close()
  })

  it('writes several entities as one bundle, with the ids and HLCs written', async () => {
    const { service, space } = await spaceWith('writer')
    const writer = await openServerWriter({ store: suite.store, schema, user: service })
    const result = await writer.write(
      [
        { op: 'create', type: 'document', id: 'doc-1', fields: { title: 'A', author: 'a' } },
        { op: 'update', type: 'document', id: 'doc-1', fields: { title: 'B' } },
      ],
      { space },
    )
    expect(result.writes.map((w) => [w.op, w.id])).toEqual([
      ['create', 'doc-1'],
      ['update', 'doc-1'],
    ])
    expect(result.hlc).toBe(result.writes[1]?.hlc)
    expect(await suite.store.bundleIds(space)).toEqual([result.bundle])
    await writer.close()
  })

  it('keeps its client id across restarts and never issues an HLC again, even with a clock set back', async () => {
    const { service, space } = await spaceWith('writer')
    const first = await openServerWriter({ store: suite.store, schema, user: service, space })
    const before = await first.create('document', { title: 'A', author: 'a' })
    await first.close()
    const past = Date.now() - 3_600_000
    const again = await openServerWriter({
      store: suite.store,
      schema,
      user: service,
      space,
      now: () => past,
    })
    expect(again.client).toBe(first.client)
    const after = await again.create('document', { title: 'B', author: 'b' })
    expect(after.hlc > before.hlc).toBe(true)
    const other = await openServerWriter({ store: suite.store, schema, user: service, name: 'b' })
    expect(other.client).not.toBe(first.client)
  })

  it('shares one writer between processes safely: every HLC issued once', async () => {
    const { service, space } = await spaceWith('writer')
    const open = () => openServerWriter({ store: suite.store, schema, user: service, space })
    const [a, b] = [await open(), await open()]
    expect(a.client).toBe(b.client)
    const writes = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? a : b).create('document', { title: `t${i}`, author: 'x' }),
      ),
    )
    const hlcs = (await eventsOf(space)).map((e) => e.hlc)
    expect(new Set(hlcs).size).toBe(hlcs.length)
    expect(writes).toHaveLength(6)
  })

  it('refuses input that does not fit the schema, with a reason, writing nothing', async () => {
    const { service, space } = await spaceWith('writer')
    const writer = await openServerWriter({ store: suite.store, schema, user: service, space })
    const loose = writer as unknown as {
      create(type: string, fields: unknown): Promise<unknown>
      update(type: string, id: string, fields: unknown): Promise<unknown>
    }
    expect(schemaReason(await refusal(loose.create('magazine', {})))).toBe('unknown_type')
    expect(
      schemaReason(await refusal(loose.create('document', { title: 'a', author: 'b', x: 1 }))),
    ).toBe('unknown_attribute')
    expect(schemaReason(await refusal(loose.update('document', 'd', { pages: 'many' })))).toBe(
      'wrong_value',
    )
    expect(schemaReason(await refusal(loose.create('document', { title: 'a' })))).toBe(
      'missing_attribute',
    )
    expect(schemaReason(await refusal(loose.update('document', 'd', {})))).toBe('bad_fields')
    expect((await refusal(writer.write([]))).code).toBe('bad_request')
    expect(await suite.store.bundleIds(space)).toEqual([])
  })

  it('types writes from the app’s schema', async () => {
    const { service, space } = await spaceWith('writer')
    const writer = await openServerWriter({ store: suite.store, schema, user: service, space })
    const typed = async () => {
      // @ts-expect-error unknown type
      await writer.create('magazine', {})
      // @ts-expect-error author is required
      await writer.create('document', { title: 'a' })
      // @ts-expect-error wrong value type
      await writer.update('document', 'id', { pages: 'many' })
      // @ts-expect-error required attributes cannot be cleared
      await writer.update('document', 'id', { title: null })
      await writer.update('document', 'id', { pages: null })
      await writer.write([
        { op: 'create', type: 'document', fields: { title: 'a', author: 'b' } },
        { op: 'delete', type: 'document', id: 'x' },
      ])
    }
    expect(typeof typed).toBe('function')
    await writer.close()
  })

  it('refuses a reader and a non-member with forbidden, and an unknown user with not_found', async () => {
    for (const role of ['reader', null] as const) {
      const { service, space } = await spaceWith(role)
      const writer = await openServerWriter({ store: suite.store, schema, user: service, space })
      const error = await refusal(writer.create('document', { title: 'a', author: 'b' }))
      expect(error.code).toBe('forbidden')
      expect(await suite.store.bundleIds(space)).toEqual([])
    }
    const error = await refusal(openServerWriter({ store: suite.store, schema, user: 'nobody' }))
    expect(error.code).toBe('not_found')
  })
})
