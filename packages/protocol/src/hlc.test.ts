import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isTidingsError } from './errors.js'
import {
  assertWithinDrift,
  compareHlc,
  formatHlc,
  type HlcParts,
  hlcMs,
  isHlc,
  MAX_COUNTER,
  MAX_MS,
  parseHlc,
} from './hlc.js'
import { codeOf } from './wire/testing.js'

const NODE = '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b'
const T = Date.UTC(2026, 10, 26, 4, 46, 2, 123)

/** HLC parts, biased towards equal ms and counters so ties on earlier fields are common. */
const hlcParts = (): fc.Arbitrary<HlcParts> =>
  fc.record({
    ms: fc.oneof(fc.integer({ min: 0, max: MAX_MS }), fc.constantFrom(0, T, T + 1, MAX_MS)),
    counter: fc.oneof(fc.integer({ min: 0, max: MAX_COUNTER }), fc.constantFrom(0, 1, MAX_COUNTER)),
    node: fc.oneof(
      fc.stringMatching(/^[0-9A-Za-z_-]{1,64}$/),
      // Prefixes of each other and the ASCII neighbours of '-': the tricky cases for bytewise order.
      fc.constantFrom('a', 'a-', 'a-b', 'ab', 'A', '_', '0', NODE),
    ),
  })

const logicalOrder = (a: HlcParts, b: HlcParts): number =>
  Math.sign(a.ms - b.ms) ||
  Math.sign(a.counter - b.counter) ||
  (a.node < b.node ? -1 : a.node > b.node ? 1 : 0)

describe('HLC text form', () => {
  it('is ISO-8601 UTC millis, a 4-digit uppercase hex counter and the node id', () => {
    expect(formatHlc({ ms: T, counter: 0xab, node: NODE })).toBe(
      `2026-11-26T04:46:02.123Z-00AB-${NODE}`,
    )
    expect(formatHlc({ ms: 0, counter: 0, node: 'n' })).toBe('1970-01-01T00:00:00.000Z-0000-n')
    expect(formatHlc({ ms: MAX_MS, counter: MAX_COUNTER, node: 'n' })).toBe(
      '9999-12-31T23:59:59.999Z-FFFF-n',
    )
  })

  it('round-trips: parseHlc(formatHlc(parts)) gives the parts back', () => {
    fc.assert(
      fc.property(hlcParts(), (parts) => {
        const text = formatHlc(parts)
        expect(parseHlc(text)).toEqual(parts)
        expect(formatHlc(parseHlc(text))).toBe(text)
        expect(hlcMs(text)).toBe(parts.ms)
      }),
      { numRuns: 1000 },
    )
  })

  it.each([
    ['lowercase counter', '2026-11-26T04:46:02.123Z-00ab-n'],
    ['3-digit counter', '2026-11-26T04:46:02.123Z-001-n'],
    ['5-digit counter', '2026-11-26T04:46:02.123Z-00001-n'],
    ['31 February', '2026-02-31T00:00:00.000Z-0000-n'],
    ['month 13', '2026-13-01T00:00:00.000Z-0000-n'],
    ['hour 24', '2026-11-26T24:00:00.000Z-0000-n'],
    ['second 60', '2026-11-26T04:46:60.000Z-0000-n'],
    ['no millis', '2026-11-26T04:46:02Z-0000-n'],
    ['a time zone offset', '2026-11-26T04:46:02.123+01:00-0000-n'],
    ['5-digit year (overflow)', '10000-01-01T00:00:00.000Z-0000-n'],
    ['expanded year (overflow)', '+010000-01-01T00:00:00.000Z-0000-n'],
    ['year 0000 (before 1970)', '0000-01-01T00:00:00.000Z-0000-n'],
    ['1969 (before 1970)', '1969-12-31T23:59:59.999Z-0000-n'],
    ['empty node', '2026-11-26T04:46:02.123Z-0000-'],
    ['node with a space', '2026-11-26T04:46:02.123Z-0000-a b'],
    ['node with a dot', '2026-11-26T04:46:02.123Z-0000-a.b'],
    ['non-ASCII node', '2026-11-26T04:46:02.123Z-0000-nöde'],
    ['65-character node', `2026-11-26T04:46:02.123Z-0000-${'n'.repeat(65)}`],
    ['trailing newline', '2026-11-26T04:46:02.123Z-0000-n\n'],
    ['leading space', ' 2026-11-26T04:46:02.123Z-0000-n'],
    ['empty string', ''],
    ['10 MB of junk', 'x'.repeat(10_000_000)],
  ])('rejects a non-canonical form (%s) with bad_request', (_, text) => {
    expect(isHlc(text)).toBe(false)
    expect(codeOf(() => parseHlc(text))).toBe('bad_request')
  })

  it.each([
    ['negative ms', { ms: -1, counter: 0, node: 'n' }],
    ['ms past year 9999', { ms: MAX_MS + 1, counter: 0, node: 'n' }],
    ['fractional ms', { ms: 1.5, counter: 0, node: 'n' }],
    ['NaN ms', { ms: Number.NaN, counter: 0, node: 'n' }],
    ['counter over FFFF', { ms: T, counter: MAX_COUNTER + 1, node: 'n' }],
    ['negative counter', { ms: T, counter: -1, node: 'n' }],
    ['junk node', { ms: T, counter: 0, node: 'a/b' }],
  ])('formatHlc refuses %s with bad_request', (_, parts) => {
    expect(codeOf(() => formatHlc(parts))).toBe('bad_request')
  })
})

describe('HLC order', () => {
  it('string order equals logical (ms, counter, node) order', () => {
    fc.assert(
      fc.property(hlcParts(), hlcParts(), (a, b) => {
        expect(Math.sign(compareHlc(formatHlc(a), formatHlc(b)))).toBe(logicalOrder(a, b))
      }),
      { numRuns: 1000 },
    )
  })

  it('sorting the strings sorts the timestamps', () => {
    fc.assert(
      fc.property(fc.array(hlcParts(), { maxLength: 30 }), (parts) => {
        const byText = parts.map(formatHlc).sort()
        const byParts = [...parts].sort(logicalOrder).map(formatHlc)
        expect(byText).toEqual(byParts)
      }),
      { numRuns: 1000 },
    )
  })
})

describe('assertWithinDrift', () => {
  const hlc = formatHlc({ ms: T, counter: 0, node: NODE })

  it('accepts an HLC up to exactly maxDriftMs ahead, and any HLC behind', () => {
    expect(() => assertWithinDrift(hlc, T - 1000, 1000)).not.toThrow()
    expect(() => assertWithinDrift(hlc, T + 86_400_000, 1000)).not.toThrow()
  })

  it('refuses an HLC further ahead with clock_drift (422), saying by how much', () => {
    let caught: unknown
    try {
      assertWithinDrift(hlc, T - 1001, 1000)
    } catch (error) {
      caught = error
    }
    expect(isTidingsError(caught, 'clock_drift')).toBe(true)
    expect(caught).toMatchObject({ status: 422, details: { hlc, aheadMs: 1001, maxDriftMs: 1000 } })
  })

  it('refuses a malformed HLC with bad_request rather than judging its drift', () => {
    expect(codeOf(() => assertWithinDrift('soon', T, 1000))).toBe('bad_request')
  })
})
