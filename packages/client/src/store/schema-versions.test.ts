import type { Bundle, JsonValue } from '@tidings/protocol'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type LocalClient, openClient } from '../api/client.js'
import { openNodeDatabase } from '../node.js'
import { t } from '../schema/attr.js'
import { defineSchema, type Schema } from '../schema/define.js'
import { manualClock } from '../test/fixtures.js'
import { v1Schema, v2Schema } from '../test/versions.js'
import type { Op, Store } from './store.js'

const open = async (schema: Schema, now: () => number): Promise<Store> => {
  const client = await openClient({ schema, database: openNodeDatabase(':memory:'), now })
  return (client as unknown as LocalClient).store
}

// Writes as either app version makes them: pages as text or as a number, the note's text
// under its old name or its new one, an isbn and reviews only version 2 knows.
const ENTITIES = ['b1', 'b2', 'n1']
const writes: fc.Arbitrary<Op> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(...ENTITIES),
      fc.constantFrom('12', 'about 300', '7 pages', 412, 3.5, true),
    )
    .map(([entity, value]) => ({ type: 'book', entity, attribute: 'pages', value })),
  fc
    .tuple(fc.constantFrom(...ENTITIES), fc.constantFrom('978-0', 5, null))
    .map(([entity, value]) => ({ type: 'book', entity, attribute: 'isbn', value })),
  fc
    .tuple(fc.constantFrom(...ENTITIES), fc.constantFrom('text', 'body'), fc.constantFrom('a', 1))
    .map(([entity, attribute, value]) => ({ type: 'note', entity, attribute, value })),
  fc
    .tuple(fc.constantFrom(...ENTITIES), fc.constantFrom<JsonValue>(4, 'five'))
    .map(([entity, value]) => ({ type: 'review', entity, attribute: 'stars', value })),
)

/** What a replica shows: registers, typed rows and the values its version cannot read. */
const state = (store: Store) => ({ ...store.dump(), unreadable: store.unreadable() })

describe('convergence across app versions (property)', () => {
  it('replicas of one version agree on what they show and cannot read, whatever the order; rebuild agrees', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            writer: fc.nat(3),
            ops: fc.array(writes, { minLength: 1, maxLength: 3 }),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
        async (steps, seeds) => {
          const clock = manualClock()
          // Two devices on each version.
          const stores = [
            await open(v1Schema, clock.now),
            await open(v1Schema, clock.now),
            await open(v2Schema, clock.now),
            await open(v2Schema, clock.now),
          ]
          const sent: Bundle[] = []
          for (const { writer, ops } of steps) {
            clock.advance(1)
            sent.push(stores[writer]!.commitLocal(ops, 100).bundle)
          }
          stores.forEach((store, i) => {
            store.applyRemote(shuffle(sent, seeds[i]!))
          })
          const states = stores.map(state)
          expect(states[1]).toEqual(states[0])
          expect(states[3]).toEqual(states[2])
          for (const [i, store] of stores.entries()) {
            store.rebuild()
            expect(state(store)).toEqual(states[i])
          }
          for (const store of stores) store.close()
        },
      ),
      { numRuns: 150 },
    )
  }, 300_000)
})

describe('opening a database with the next app version', () => {
  it('retypes an indexed column whose kind changed and drops one no longer declared', async () => {
    const file = `/tmp/tidings-retype-${process.pid}-${Date.now()}.db`
    const before = defineSchema(
      { book: { title: t.string(), pages: t.string().index(), shelf: t.string() } },
      { version: 1, indexes: { book: [['shelf', 'pages']] } },
    )
    const after = defineSchema(
      {
        book: {
          title: t.string(),
          pages: t
            .number()
            .index()
            .from('string', (s) => Number(s)),
          place: t.string().renamedFrom('shelf'),
        },
      },
      { version: 2, indexes: { book: [['place', 'pages']] } },
    )
    const old = await openClient({ schema: before, database: openNodeDatabase(file) })
    await old.create('book', { title: 'Dune', pages: '412', shelf: 'A' })
    await old.create('book', { title: 'Emma', pages: '96', shelf: 'B' })
    await old.close()

    const next = await openClient({ schema: after, database: openNodeDatabase(file) })
    // Numbers, compared as numbers (a TEXT column would hold '412' and sort '96' after it).
    const rows = await next.fetch('book', { where: { pages: { gt: 100 } } })
    expect(rows.map((b) => [b.title, b.pages, b.place])).toEqual([['Dune', 412, 'A']])
    const store = (next as unknown as LocalClient).store
    const columns = store.sql.all<{ name: string; type: string }>('PRAGMA table_info(t_book)')
    expect(columns.map((c) => `${c.name} ${c.type.toLowerCase()}`).sort()).toEqual([
      'deleted integer',
      'id text',
      'pages real',
      'place text',
      'space text',
      'title text',
    ])
    const shown = store.dump()
    store.rebuild()
    expect(store.dump()).toEqual(shown)
    await next.close()
  })
})

/** A deterministic permutation from a seed (fast-check controls the seed, so failures shrink). */
const shuffle = <T>(items: readonly T[], seed: number): T[] => {
  const out = [...items]
  let x = seed || 1
  for (let i = out.length - 1; i > 0; i--) {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648
    const j = x % (i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}
