import type { Bundle, JsonValue } from '@tidings/protocol'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { internals, manualClock, memoryClient } from '../test/fixtures.js'
import { BLOCK } from './sql.js'
import type { Op } from './store.js'

// Few registers, so large bundles repeat registers inside one multi-row block; known and
// unknown attributes and types, so some events reach no typed column.
const op: fc.Arbitrary<Op> = fc
  .tuple(
    fc.constantFrom('e1', 'e2', 'e3', 'e4'),
    fc.constantFrom(
      ['document', 'author'],
      ['document', 'title'],
      ['document', 'deleted'],
      ['document', 'colour'],
      ['ghost', 'name'],
    ),
    fc.oneof(fc.constantFrom<JsonValue>('a', 'b', null, true, 1), fc.string({ maxLength: 3 })),
  )
  .map(([entity, [type, attribute], value]) => ({ type, entity, attribute, value }))

describe('block-wise apply (property)', () => {
  it(`bundles larger than a block (${BLOCK} events) converge however delivered, and equal a rebuild`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            writer: fc.nat(2),
            ops: fc.array(op, { minLength: BLOCK - 2, maxLength: 3 * BLOCK }),
            advance: fc.integer({ min: 0, max: 2 }),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
        async (writes, seeds) => {
          const clock = manualClock()
          const clients = await Promise.all([0, 1, 2].map(() => memoryClient({ now: clock.now })))
          const stores = clients.map((c) => internals(c).store)
          const sent: Bundle[] = []
          for (const w of writes) {
            clock.advance(w.advance)
            sent.push(stores[w.writer]!.commitLocal(w.ops, 10_000).bundle)
          }
          // Everyone gets everything: reordered, and partly twice (a known bundle is skipped).
          stores.forEach((store, i) => {
            const order = [...sent].sort(
              (a, b) => (a.id > b.id ? 1 : -1) * (seeds[i]! % 2 ? 1 : -1),
            )
            store.applyRemote(order.slice(0, 1))
            store.applyRemote(order)
          })
          const dumps = stores.map((s) => s.dump())
          for (const dump of dumps.slice(1)) expect(dump).toEqual(dumps[0])
          stores[1]!.rebuild()
          expect(stores[1]!.dump()).toEqual(dumps[0])
          await Promise.all(clients.map((c) => c.close()))
        },
      ),
      { numRuns: 60 },
    )
  }, 300_000)

  it('an event already in the log under another bundle is not applied again', async () => {
    const clock = manualClock()
    const [a, b] = await Promise.all([0, 1].map(() => memoryClient({ now: clock.now })))
    const storeA = internals(a!).store
    const storeB = internals(b!).store
    const ops: Op[] = Array.from({ length: 2 * BLOCK }, (_, i) => ({
      type: 'document',
      entity: `e${i}`,
      attribute: 'title',
      value: `t${i}`,
    }))
    const { bundle } = storeA.commitLocal(ops, 10_000)
    storeB.applyRemote([bundle])
    // The same event ids again, with other content, in a bundle of another id: the log keeps
    // the first content and the registers do not move.
    const copy: Bundle = {
      ...bundle,
      id: '01937b5e-0000-7000-8000-000000000001',
      events: bundle.events.map((e) => ({ ...e, value: 'changed' })),
    }
    const before = storeB.dump()
    expect(storeB.applyRemote([copy]).applied).toBe(1)
    expect(storeB.dump()).toEqual(before)
    await Promise.all([a!.close(), b!.close()])
  })
})
