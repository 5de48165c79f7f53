import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatHlc } from './hlc.js'
import { type Stamp, wins } from './wins.js'

const T = Date.UTC(2026, 10, 26, 4, 46, 2, 123)
const A = '0193a1b2-c3d4-7e5f-8a9b-00000000000a'
const B = '0193a1b2-c3d4-7e5f-8a9b-00000000000b'

/** Stamps from a deliberately small domain, so equal HLCs (forged duplicates) and equal ids occur. */
const stamp: fc.Arbitrary<Stamp> = fc.record({
  hlc: fc
    .record({
      ms: fc.integer({ min: T, max: T + 2 }),
      counter: fc.integer({ min: 0, max: 2 }),
      node: fc.constantFrom(A, B),
    })
    .map(formatHlc),
  id: fc.constantFrom(A, B, '0193a1b2-c3d4-7e5f-8a9b-00000000000c'),
})
const same = (a: Stamp, b: Stamp) => a.hlc === b.hlc && a.id === b.id
const lww = (writes: Stamp[]) => writes.reduce<Stamp | null>((w, x) => (wins(x, w) ? x : w), null)

describe('wins (last writer wins)', () => {
  const early = formatHlc({ ms: T, counter: 0, node: A })
  const late = formatHlc({ ms: T, counter: 1, node: A })

  it('the greater HLC wins, whatever the ids', () => {
    expect(wins({ hlc: late, id: A }, { hlc: early, id: B })).toBe(true)
    expect(wins({ hlc: early, id: B }, { hlc: late, id: A })).toBe(false)
  })

  it('equal HLCs fall back to the greater event id', () => {
    expect(wins({ hlc: early, id: B }, { hlc: early, id: A })).toBe(true)
    expect(wins({ hlc: early, id: A }, { hlc: early, id: B })).toBe(false)
  })

  it('any write beats nothing; no write beats itself', () => {
    expect(wins({ hlc: early, id: A }, null)).toBe(true)
    expect(wins({ hlc: early, id: A }, undefined)).toBe(true)
    expect(wins({ hlc: early, id: A }, { hlc: early, id: A })).toBe(false)
  })

  it('is a strict total order: of two distinct stamps exactly one wins', () => {
    fc.assert(
      fc.property(stamp, stamp, (a, b) => {
        expect(wins(a, a)).toBe(false)
        if (same(a, b)) expect(wins(a, b)).toBe(false)
        else expect(wins(a, b)).not.toBe(wins(b, a))
      }),
      { numRuns: 1000 },
    )
  })

  it('is transitive', () => {
    fc.assert(
      fc.property(stamp, stamp, stamp, (a, b, c) => {
        if (wins(a, b) && wins(b, c)) expect(wins(a, c)).toBe(true)
      }),
      { numRuns: 1000 },
    )
  })

  it('folding writes in any order (duplicates included) picks the same winner: the greatest', () => {
    const writesAndPermutation = fc
      .array(stamp, { minLength: 1, maxLength: 20 })
      .chain((writes) =>
        fc.tuple(
          fc.constant(writes),
          fc.shuffledSubarray(writes, { minLength: writes.length, maxLength: writes.length }),
        ),
      )
    fc.assert(
      fc.property(writesAndPermutation, ([writes, shuffled]) => {
        const winner = lww(writes)
        expect(lww(shuffled)).toEqual(winner)
        for (const w of writes) expect(wins(w, winner)).toBe(false)
      }),
      { numRuns: 1000 },
    )
  })
})
