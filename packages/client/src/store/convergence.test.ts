import type { Bundle, JsonValue } from '@tidings/protocol'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { internals, manualClock, memoryClient } from '../test/fixtures.js'
import type { Op } from './store.js'

const ENTITIES = ['e1', 'e2', 'e3']
// Known attributes, the tombstone, and an attribute and a type this schema does not know.
const TARGETS: Array<[string, string]> = [
  ['document', 'author'],
  ['document', 'title'],
  ['document', 'url'],
  ['document', 'deleted'],
  ['document', 'colour'],
  ['ghost', 'name'],
]
const value: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.constantFrom('a', 'b', 'c'),
  fc.boolean(),
  fc.constant(null),
  fc.integer({ min: 0, max: 3 }),
)
const op: fc.Arbitrary<Op> = fc
  .tuple(fc.constantFrom(...ENTITIES), fc.constantFrom(...TARGETS), value)
  .map(([entity, [type, attribute], v]) => ({ type, entity, attribute, value: v }))

type Step =
  | { kind: 'write'; client: number; ops: Op[]; advance: number }
  | { kind: 'deliver'; to: number; picks: number[] }

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('write' as const),
    client: fc.nat(3),
    ops: fc.array(op, { minLength: 1, maxLength: 4 }),
    advance: fc.integer({ min: 0, max: 3 }),
  }),
  // Partial, duplicated, out-of-order deliveries of bundles seen so far.
  fc.record({
    kind: fc.constant('deliver' as const),
    to: fc.nat(3),
    picks: fc.array(fc.nat(40), { maxLength: 6 }),
  }),
)

describe('convergence (property)', () => {
  it('replicas that received the same bundles, in any order and with duplicates, have identical state', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 4 }),
        fc.array(fc.integer({ min: -2_000, max: 2_000 }), { minLength: 4, maxLength: 4 }),
        fc.array(step, { maxLength: 25 }),
        fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
        async (count, skews, steps, seeds) => {
          const clock = manualClock()
          const clients = await Promise.all(
            Array.from({ length: count }, () => memoryClient({ now: clock.now })),
          )
          const stores = clients.map((c) => internals(c).store)
          for (const [i, s] of stores.entries()) s.clock.setOffset(skews[i]!)
          const sent: Bundle[] = []
          for (const s of steps) {
            if (s.kind === 'write') {
              clock.advance(s.advance)
              sent.push(stores[s.client % count]!.commitLocal(s.ops, 100).bundle)
            } else if (sent.length > 0) {
              stores[s.to % count]!.applyRemote(s.picks.map((p) => sent[p % sent.length]!))
            }
          }
          // Finally everyone gets everything: in a per-replica shuffled order, in two batches,
          // the second repeating part of the first.
          stores.forEach((store, i) => {
            const order = shuffle(sent, seeds[i]!)
            const half = Math.floor(order.length / 2)
            store.applyRemote(order.slice(0, half + 1))
            store.applyRemote(order.slice(Math.max(0, half - 2)))
          })
          const dumps = stores.map((s) => s.dump())
          for (const dump of dumps.slice(1)) expect(dump).toEqual(dumps[0])
          stores[0]!.rebuild()
          expect(stores[0]!.dump()).toEqual(dumps[0])
          await Promise.all(clients.map((c) => c.close()))
        },
      ),
      { numRuns: 500 },
    )
  }, 300_000)
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
