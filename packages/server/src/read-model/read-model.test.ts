import { type Bundle, type Event, type JsonValue, newId } from '@tidings/protocol'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addUser } from '../auth/users.js'
import type { Family } from '../store/dialects/family.js'
import { KyselyStore } from '../store/kysely-store.js'
import { openBackend } from '../store/open.js'
import type { Store } from '../store/store.js'
import { TEST_BACKENDS, type TestDatabase } from '../testing/backends.js'
import { TestClient } from '../testing/fixtures.js'
import { SpaceFixture } from '../testing/space-fixture.js'
import { Projector } from './projector.js'
import { rebuildReadModel } from './rebuild.js'
import { parseSchema } from './schema-file.js'
import type { AnyDb } from './sql.js'
import { run } from './sql.js'
import { entitiesOf, expectedOf, registersOf } from './testing.js'
import { typedTable } from './typed-tables.js'

/**
 * The read model on every backend: whatever the order, duplication and batching of delivery,
 * the projected registers and entities are what the specification of convergence gives for
 * the set of events, as every client shows; a rebuild gives the same; typed tables agree with
 * the generic ones.
 */
console.log(`[read-model] backends: ${TEST_BACKENDS.map((b) => b.name).join(', ')}`)

/** The app schema of these tests, as `JSON.stringify(defineSchema(...))` gives it. */
const SCHEMA = parseSchema({
  types: {
    document: {
      title: { kind: 'string', spec: { optional: false, indexed: false, hasDefault: false } },
      author: { kind: 'string', spec: { optional: true, indexed: true, hasDefault: false } },
      pages: { kind: 'number', spec: { optional: true, indexed: false, hasDefault: false } },
      done: { kind: 'boolean', spec: { optional: true, indexed: false, hasDefault: false } },
      meta: { kind: 'json', spec: { optional: true, indexed: false, hasDefault: false } },
      name: {
        kind: 'string',
        spec: { optional: true, indexed: false, hasDefault: false, renamedFrom: ['label'] },
      },
    },
    note: { body: { kind: 'string', spec: { optional: true, indexed: false, hasDefault: false } } },
  },
  indexes: { document: [['author', 'title']] },
})

const UNSTORABLE = ['a\u0000b', '\ud800', 'x\udc00'] as const
const ATTRIBUTES = ['title', 'author', 'pages', 'done', 'meta', 'name', 'label', 'deleted'] as const
const value: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.string({ maxLength: 6 }),
  // Text no SQL text column holds as written: NUL, a lone surrogate.
  fc.constantFrom(...UNSTORABLE),
  fc.integer({ min: -5, max: 5 }),
  fc.boolean(),
  fc.constant(null),
  fc.dictionary(fc.constantFrom('a', 'b'), fc.integer({ min: 0, max: 3 }), { maxKeys: 2 }),
)
/** A write as drawn: which client, entity (of 3), type, attribute and value. */
const write = fc.record({
  client: fc.nat({ max: 2 }),
  entity: fc.nat({ max: 2 }),
  type: fc.constantFrom('document', 'note'),
  attribute: fc.constantFrom(...ATTRIBUTES),
  value,
})
/** Bundles of 1–3 writes; then the delivery order (indexes, with repeats = duplicates). */
const scenario = fc
  .array(fc.array(write, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 8 })
  .chain((bundles) =>
    fc.record({
      bundles: fc.constant(bundles),
      order: fc.array(fc.nat({ max: bundles.length - 1 }), {
        minLength: bundles.length,
        maxLength: bundles.length * 2,
      }),
      steps: fc.array(fc.boolean(), {
        minLength: bundles.length * 2,
        maxLength: bundles.length * 2,
      }),
    }),
  )

describe.each(TEST_BACKENDS)('read model on $name', (backend) => {
  let database: TestDatabase
  let store: Store
  let db: AnyDb
  let family: Family
  let projector: Projector
  let spaces: SpaceFixture
  beforeAll(async () => {
    database = await backend.create()
    const opened = await openBackend(database.url)
    db = opened.db
    family = opened.family
    store = new KyselyStore(opened)
    projector = new Projector({ db, family, schema: SCHEMA, pollMs: 0 })
    await projector.start()
    spaces = new SpaceFixture(store)
  })
  afterAll(async () => {
    await projector?.close()
    await store?.close()
    await database?.dispose()
  })

  /** The typed rows of `space`, keyed like `entitiesOf`. */
  const typedOf = async (space: string) => {
    const rows: Record<string, Record<string, unknown>> = {}
    for (const type of Object.keys(SCHEMA.types))
      for (const r of await run<Record<string, unknown>>(
        db,
        family,
        `SELECT * FROM ${typedTable(family, type)} WHERE space = ?`,
        [space],
      ))
        rows[`${type}/${r.id}`] = r
    return rows
  }

  it('equals the fold of the events whatever the order, duplicates and batching; rebuild equals incremental; typed tables agree', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ bundles: drawn, order, steps }) => {
        const owner = (await addUser(store, `o${newId().slice(-12)}`)).id
        const writer = (await addUser(store, `w${newId().slice(-12)}`)).id
        const space = await spaces.createSpace(owner)
        await spaces.join(space, writer, 'writer')
        const clients = [new TestClient(), new TestClient(), new TestClient()]
        const entities = [newId(), newId(), newId()]
        const bundles: Bundle[] = drawn.map((writes) => {
          const device = clients[writes[0]!.client]!
          const events: Event[] = writes.map((w) => ({
            ...device.event({
              entity: entities[w.entity]!,
              attribute: w.attribute,
              value: w.value,
            }),
            type: w.type,
          }))
          return { ...device.bundle({ events }), space }
        })
        // Delivered in the drawn order, some twice; the projector runs at random moments.
        for (const [i, index] of [...order, ...bundles.keys()].entries()) {
          await store.push({
            stream: i % 2 ? owner : writer,
            bundles: [bundles[index]!],
            now: Date.now(),
          })
          if (steps[i]) await projector.project(space)
        }
        await projector.catchUp()
        const expected = expectedOf(bundles.flatMap((b) => b.events))
        const registers = await registersOf(db, family, space)
        const entityRows = await entitiesOf(db, family, space)
        expect(registers).toEqual(expected.registers)
        expect(entityRows).toEqual(expected.entities)
        // Typed rows: one per entity of a schema type, its columns the generic data's values.
        const typed = await typedOf(space)
        for (const e of entityRows) {
          const row = typed[e.key]
          expect(row).toBeDefined()
          expect(Boolean(row!.deleted)).toBe(e.deleted)
          if (e.key.startsWith('document/')) {
            const title = e.data.title
            const storable =
              typeof title === 'string' && !(UNSTORABLE as readonly string[]).includes(title)
            expect(row!.title).toBe(storable ? title : null)
            const done = e.data.done
            expect(row!.done === null ? null : Boolean(row!.done)).toBe(
              typeof done === 'boolean' ? done : null,
            )
          }
        }
        expect(Object.keys(typed).sort()).toEqual(entityRows.map((e) => e.key).sort())
        // Rebuilt from the log alone: the same rows.
        await rebuildReadModel({ db, family, projector, space })
        expect(await registersOf(db, family, space)).toEqual(registers)
        expect(await entitiesOf(db, family, space)).toEqual(entityRows)
        expect(await typedOf(space)).toEqual(typed)
      }),
      { numRuns: backend.name.startsWith('sqlite') ? 25 : 10 },
    )
  })

  it('projects many kicked spaces per transaction, a small bundle limit cutting across them', async () => {
    const small = new Projector({ db, family, pollMs: 0, batch: 3 })
    const users = await Promise.all(
      [0, 1, 2, 3, 4].map(async () => (await addUser(store, `k${newId().slice(-12)}`)).id),
    )
    const device = new TestClient()
    const pushed = new Map<string, Event[]>()
    for (const [i, user] of users.entries()) {
      const bundles = Array.from({ length: i + 1 }, () => device.bundle({ count: 2 }))
      await store.push({ stream: user, bundles, now: Date.now() })
      pushed.set(
        user,
        bundles.flatMap((b) => b.events),
      )
    }
    for (const user of users) small.kick(user)
    await small.idle()
    for (const user of users)
      expect(await entitiesOf(db, family, user)).toEqual(expectedOf(pushed.get(user)!).entities)
    await small.close()
  })

  it("forgets a deleted user's spaces, whose log is gone", async () => {
    const name = `d${newId().slice(-12)}`
    const user = (await addUser(store, name)).id
    const device = new TestClient()
    await store.push({ stream: user, bundles: [device.bundle({ count: 2 })], now: Date.now() })
    await projector.catchUp()
    expect(await entitiesOf(db, family, user)).toHaveLength(2)
    await store.deleteUser({ user: name, apply: true })
    expect(await projector.sweep()).toEqual([user])
    expect(await entitiesOf(db, family, user)).toEqual([])
    expect(await registersOf(db, family, user)).toEqual([])
  })

  it('shows a transaction cut into parts only once all its parts are stored', async () => {
    const user = (await addUser(store, `p${newId().slice(-12)}`)).id
    const device = new TestClient()
    const group = newId()
    const entity = newId()
    const parts = [0, 1, 2].map((index) => ({
      ...device.bundle({
        events: [device.event({ entity, attribute: `a${index}`, value: index })],
      }),
      part: { group, index, count: 3 },
    }))
    await store.push({ stream: user, bundles: [parts[2]!, parts[0]!], now: Date.now() })
    await projector.catchUp()
    expect(await entitiesOf(db, family, user)).toEqual([])
    await store.push({ stream: user, bundles: [parts[1]!], now: Date.now() })
    await projector.catchUp()
    const [row] = await entitiesOf(db, family, user)
    expect(row?.data).toEqual({ a0: 0, a1: 1, a2: 2 })
    await rebuildReadModel({ db, family, projector, space: user })
    expect((await entitiesOf(db, family, user))[0]?.data).toEqual({ a0: 0, a1: 1, a2: 2 })
  })

  it('reads a renamed attribute as the latest write under any of its names', async () => {
    const user = (await addUser(store, `r${newId().slice(-12)}`)).id
    const device = new TestClient()
    const entity = newId()
    const old = device.event({ entity, attribute: 'label', value: 'old name' })
    const renamed = device.event({ entity, attribute: 'name', value: 'new name' })
    const later = device.event({ entity, attribute: 'label', value: 'written by an old app' })
    await store.push({
      stream: user,
      bundles: [device.bundle({ events: [old, renamed] })],
      now: Date.now(),
    })
    await projector.catchUp()
    expect((await typedOf(user))[`document/${entity}`]?.name).toBe('new name')
    await store.push({
      stream: user,
      bundles: [device.bundle({ events: [later] })],
      now: Date.now(),
    })
    await projector.catchUp()
    expect((await typedOf(user))[`document/${entity}`]?.name).toBe('written by an old app')
  })
})
