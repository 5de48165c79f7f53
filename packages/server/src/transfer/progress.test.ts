import { describe, expect, it } from 'vitest'
import { duration, Progress } from './progress.js'

/** A progress reporter on a clock the test moves, writing into an array. */
const reporter = (isTTY: boolean, everyMs: number) => {
  const written: string[] = []
  let now = 1_000_000
  const progress = new Progress({
    verb: 'import',
    output: { write: (text: string) => written.push(text), isTTY },
    everyMs,
    now: () => now,
  })
  const advance = (ms: number): void => {
    now += ms
  }
  return { progress, written, advance }
}

describe('progress', () => {
  it('reports counts, percentage, rate and ETA once the total is known', () => {
    const { progress, written, advance } = reporter(false, 0)
    progress.expect({ bundles: 400, events: 4_000 })
    advance(2_000)
    progress.add(100, 1_000)
    expect(written).toEqual([
      'import: 100 of 400 bundles, 1,000 of 4,000 events (25%), 500 events/s, ETA 6s\n',
    ])
  })

  it('without a total reports counts and rate only', () => {
    const { progress, written, advance } = reporter(false, 0)
    advance(4_000)
    progress.add(3, 12_000)
    expect(written).toEqual(['import: 3 bundles, 12,000 events, 3,000 events/s\n'])
  })

  it('prints plain lines no more often than asked', () => {
    const { progress, written, advance } = reporter(false, 5_000)
    for (let i = 0; i < 100; i++) {
      progress.add(1, 10)
      advance(100)
    }
    // At 0 ms and 5,000 ms: every step in between is counted but not printed.
    expect(written).toHaveLength(2)
    expect(written[1]).toMatch(/^import: 51 bundles, 510 events, /)
    progress.finish()
    expect(written).toHaveLength(2)
  })

  it('redraws one line on a terminal and ends it when finished', () => {
    const { progress, written, advance } = reporter(true, 0)
    progress.add(1, 10)
    advance(1_000)
    progress.add(1, 10)
    progress.finish()
    expect(written).toEqual([
      '\rimport: 1 bundles, 10 events\x1b[K',
      '\rimport: 2 bundles, 20 events, 20 events/s\x1b[K',
      '\n',
    ])
  })

  it.each([
    [0.2, '1s'],
    [59, '59s'],
    [185, '3m05s'],
    [7_440, '2h04m'],
  ])('writes %d seconds as %s', (seconds, text) => {
    expect(duration(seconds)).toBe(text)
  })
})
