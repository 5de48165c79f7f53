import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { HybridClock } from './clock.js'
import { isTidingsError } from './errors.js'
import { formatHlc, type Hlc, MAX_COUNTER, MAX_MS, parseHlc } from './hlc.js'
import { codeOf } from './wire/testing.js'

const NODE = '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b'
const PEER = '0193a1b2-c3d4-7e5f-8a9b-ffffffffffff'
const T = Date.UTC(2026, 10, 26, 4, 46, 2, 123)
const at = (ms: number, counter: number, node = NODE): Hlc => formatHlc({ ms, counter, node })

/** A clock whose wall clock the test moves by hand. */
const manualClock = (start = T, options: { last?: Hlc; offsetMs?: number } = {}) => {
  const wall = { now: start }
  const clock = new HybridClock({ node: NODE, now: () => wall.now, ...options })
  return { clock, wall }
}

describe('HybridClock.send', () => {
  it('takes the wall clock when it has moved on, else counts within the same ms', () => {
    const { clock, wall } = manualClock()
    expect(clock.send()).toBe(at(T, 0))
    expect(clock.send()).toBe(at(T, 1))
    wall.now = T + 5
    expect(clock.send()).toBe(at(T + 5, 0))
  })

  it('never goes back when the wall clock does', () => {
    const { clock, wall } = manualClock()
    clock.send()
    wall.now = T - 60_000
    expect(clock.send()).toBe(at(T, 1))
  })

  it('borrows the next millisecond when the counter overflows, without repeating it later', () => {
    const { clock, wall } = manualClock(T, { last: at(T, MAX_COUNTER - 1) })
    expect(clock.send()).toBe(at(T, MAX_COUNTER))
    expect(clock.send()).toBe(at(T + 1, 0))
    wall.now = T + 1 // the wall clock catches up with the borrowed ms
    expect(clock.send()).toBe(at(T + 1, 1))
  })

  it('refuses to run past year 9999 and stays usable where it was', () => {
    const { clock } = manualClock(MAX_MS, { last: at(MAX_MS, MAX_COUNTER) })
    expect(codeOf(() => clock.send())).toBe('bad_request')
    expect(clock.last).toBe(at(MAX_MS, MAX_COUNTER))
  })
})

describe('HybridClock persistence', () => {
  it('reports null as last before anything was issued, then the latest value', () => {
    const { clock } = manualClock()
    expect(clock.last).toBeNull()
    const sent = clock.send()
    expect(clock.last).toBe(sent)
    const received = clock.receive(at(T + 10, 7, PEER))
    expect(clock.last).toBe(received)
  })

  it('restored from `last`, issues only greater values even if the wall clock is earlier', () => {
    const { clock: before } = manualClock(T + 60_000)
    before.send()
    const saved = before.send()
    const { clock: after } = manualClock(T, { last: saved as Hlc })
    expect(after.send() > saved).toBe(true)
    expect(after.send()).toBe(at(T + 60_000, 3))
  })

  it('refuses a malformed node id or `last` with bad_request', () => {
    expect(codeOf(() => new HybridClock({ node: 'has space' }))).toBe('bad_request')
    expect(
      codeOf(() => new HybridClock({ node: NODE, last: '2026-02-31T00:00:00.000Z-0000-x' })),
    ).toBe('bad_request')
  })
})

describe('HybridClock offset correction', () => {
  it('adds the offset to the wall clock (server time minus device time)', () => {
    const { clock } = manualClock(T, { offsetMs: 5_000 })
    expect(clock.physical()).toBe(T + 5_000)
    expect(clock.send()).toBe(at(T + 5_000, 0))
    clock.setOffset(-5_000)
    expect(clock.offsetMs).toBe(-5_000)
    expect(clock.physical()).toBe(T - 5_000)
    // A correction backwards slows the clock down; it never makes it repeat itself.
    expect(clock.send()).toBe(at(T + 5_000, 1))
  })

  it('refuses a non-finite offset, in the constructor too', () => {
    const { clock } = manualClock()
    expect(codeOf(() => clock.setOffset(Number.NaN))).toBe('bad_request')
    expect(codeOf(() => clock.setOffset(Number.POSITIVE_INFINITY))).toBe('bad_request')
    expect(codeOf(() => manualClock(T, { offsetMs: Number.NaN }))).toBe('bad_request')
    expect(clock.offsetMs).toBe(0)
  })
})

/** A device's wall clock and monotonic clock, both moved by hand: time passes, or the wall is set. */
const deviceClocks = (start = T) => {
  const t = { wall: start, mono: 1_000 }
  return {
    t,
    clocks: { now: () => t.wall, monotonic: () => t.mono },
    pass: (ms: number) => {
      t.wall += ms
      t.mono += ms
    },
  }
}

describe('HybridClock: the wall clock set under a learnt offset (issue 13, case 1)', () => {
  const DAY = 86_400_000

  it('drops the offset once the wall clock is set: a device a day slow, then put right', () => {
    const { t, clocks, pass } = deviceClocks(T - DAY)
    const clock = new HybridClock({ node: NODE, ...clocks })
    clock.setOffset(DAY) // learnt at a sync: the server is a day ahead of this wall clock
    pass(60_000)
    expect(clock.physical()).toBe(T + 60_000)
    t.wall += DAY // the OS puts the clock right; no time passes on the monotonic clock
    pass(1_000)
    expect(clock.physical()).toBe(T + 61_000)
    expect(clock.offsetMs).toBe(0)
    expect(clock.send()).toBe(at(T + 61_000, 0))
  })

  it('keeps the offset while both clocks run together, slewed by NTP within a second', () => {
    const { t, clocks, pass } = deviceClocks()
    const clock = new HybridClock({ node: NODE, ...clocks, offsetMs: 5_000 })
    pass(3_600_000)
    t.wall += 900 // a slew of 0.25 ms/s over the hour
    expect(clock.offsetMs).toBe(5_000)
    expect(clock.physical()).toBe(T + 3_600_000 + 900 + 5_000)
  })

  it('drops it when the wall clock is set back too (a user fixing a fast clock)', () => {
    const { t, clocks } = deviceClocks(T + DAY)
    const clock = new HybridClock({ node: NODE, ...clocks, offsetMs: -DAY })
    t.wall -= DAY
    expect(clock.physical()).toBe(T)
    expect(clock.offsetMs).toBe(0)
  })

  it('reads the wall clock plus the last sync’s offset, or the bare wall clock once it was set since', () => {
    // Model: the server's clock runs with the monotonic one; the device's wall clock is set,
    // and syncs learn a fresh offset, at random moments. After every step the corrected time is
    // the wall clock plus the offset of the last sync, or the bare wall clock once it has been
    // set since: never the wall clock plus a stale offset.
    const step = fc.oneof(
      fc.record({ kind: fc.constant('pass' as const), ms: fc.integer({ min: 0, max: 60_000 }) }),
      // Set by more than WALL_STEP_MS, either way.
      fc.record({
        kind: fc.constant('set' as const),
        ms: fc.oneof(fc.integer({ min: -DAY, max: -1_001 }), fc.integer({ min: 1_001, max: DAY })),
      }),
      fc.record({ kind: fc.constant('sync' as const), ms: fc.constant(0) }),
    )
    fc.assert(
      fc.property(
        fc.integer({ min: -DAY, max: DAY }),
        fc.array(step, { maxLength: 40 }),
        (skew, steps) => {
          const { t, clocks, pass } = deviceClocks(T + skew)
          const server = () => T + (t.mono - 1_000)
          const clock = new HybridClock({ node: NODE, ...clocks })
          let learnt = 0 // the last sync's offset, until the wall clock is set
          for (const s of steps) {
            if (s.kind === 'pass') pass(s.ms)
            if (s.kind === 'set') {
              t.wall += s.ms
              learnt = 0
            }
            if (s.kind === 'sync') {
              learnt = server() - t.wall
              clock.setOffset(learnt)
            }
            expect(clock.physical()).toBe(Math.max(0, t.wall + learnt))
          }
        },
      ),
    )
  })

  it('rewinds to a given HLC, or to nothing, and counts on from there', () => {
    const { clock, wall } = manualClock(T + DAY)
    clock.send()
    wall.now = T
    clock.rewind(at(T - 10, 3, PEER))
    expect(clock.last).toBe(at(T - 10, 3))
    expect(clock.send()).toBe(at(T, 0))
    clock.rewind(null)
    expect(clock.last).toBeNull()
  })
})

describe('HybridClock.receive', () => {
  it('moves past a remote timestamp from the future', () => {
    const { clock } = manualClock()
    const remote = at(T + 1_000, 9, PEER)
    expect(clock.receive(remote)).toBe(at(T + 1_000, 10))
    expect(clock.send()).toBe(at(T + 1_000, 11))
  })

  it('takes the larger counter when local and remote share the millisecond', () => {
    const { clock } = manualClock()
    clock.send()
    clock.send() // local is (T, 1)
    expect(clock.receive(at(T, 5, PEER))).toBe(at(T, 6))
    expect(clock.receive(at(T, 2, PEER))).toBe(at(T, 7))
  })

  it('treats a remote timestamp from the past like a local event', () => {
    const { clock } = manualClock()
    expect(clock.receive(at(T - 1_000, 3, PEER))).toBe(at(T, 0))
  })

  it('with maxDriftMs, refuses a far-future HLC with clock_drift and is not dragged along', () => {
    const { clock } = manualClock()
    const future = at(T + 10 * 60_000, 0, PEER)
    let caught: unknown
    try {
      clock.receive(future, { maxDriftMs: 5 * 60_000 })
    } catch (error) {
      caught = error
    }
    expect(isTidingsError(caught, 'clock_drift')).toBe(true)
    expect(clock.send()).toBe(at(T, 0))
    // Within the limit it is merged as usual.
    expect(clock.receive(at(T + 60_000, 0, PEER), { maxDriftMs: 5 * 60_000 })).toBe(
      at(T + 60_000, 1),
    )
  })

  it('refuses a malformed remote HLC with bad_request', () => {
    const { clock } = manualClock()
    expect(codeOf(() => clock.receive('yesterday'))).toBe('bad_request')
    expect(clock.last).toBeNull()
  })
})

/** How the wall clock moves between two reads: still, a tick, backwards, or a big jump. */
const wallStep = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 3 }),
  fc.integer({ min: -5_000, max: -1 }),
  fc.integer({ min: -86_400_000, max: 86_400_000 }),
)

describe('HybridClock properties', () => {
  it('issues strictly increasing HLCs, never behind the wall clock, whatever the wall clock does', () => {
    fc.assert(
      fc.property(
        fc.array(wallStep, { minLength: 1, maxLength: 100 }),
        // Sometimes restart near a counter overflow, so borrowing happens inside the run.
        fc.option(fc.integer({ min: MAX_COUNTER - 20, max: MAX_COUNTER }), { nil: undefined }),
        (steps, restoredCounter) => {
          const wall = { now: T }
          const last = restoredCounter === undefined ? undefined : at(T, restoredCounter)
          const clock = new HybridClock({ node: NODE, now: () => wall.now, ...(last && { last }) })
          let previous = last ?? ''
          for (const step of steps) {
            wall.now = Math.max(0, wall.now + step)
            const hlc = clock.send()
            expect(hlc > previous).toBe(true)
            expect(parseHlc(hlc).ms).toBeGreaterThanOrEqual(wall.now)
            previous = hlc
          }
        },
      ),
      { numRuns: 1000 },
    )
  })

  const NODES = Array.from({ length: 8 }, (_, i) => `0193a1b2-c3d4-7e5f-8a9b-00000000000${i}`)
  const action = fc.record({
    kind: fc.constantFrom('send', 'receive', 'tick'),
    node: fc.nat(),
    pick: fc.nat(),
    tick: fc.integer({ min: -3, max: 20 }),
  })

  it('across 3-8 nodes with skewed clocks and random delivery: causality, uniqueness, monotonicity', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -120_000, max: 120_000 }), { minLength: 3, maxLength: 8 }),
        fc.array(action, { minLength: 1, maxLength: 120 }),
        (skews, actions) => {
          const world = { now: T }
          const nodes = skews.map((skew, i) => ({
            clock: new HybridClock({ node: NODES[i] as string, now: () => world.now + skew }),
            issued: [] as Hlc[],
            seen: '', // greatest HLC this node has received
          }))
          const network: Hlc[] = [] // every message ever sent: delivery may reorder or repeat
          const everything = new Set<Hlc>()
          for (const { kind, node: n, pick, tick } of actions) {
            if (kind === 'tick') {
              world.now = Math.max(0, world.now + tick)
              continue
            }
            const node = nodes[n % nodes.length]!
            let hlc: Hlc
            if (kind === 'receive' && network.length > 0) {
              const message = network[pick % network.length]!
              hlc = node.clock.receive(message)
              if (message > node.seen) node.seen = message
            } else {
              hlc = node.clock.send()
              network.push(hlc)
            }
            expect(hlc > node.seen).toBe(true) // causality: after receiving r, every HLC is > r
            expect(hlc > (node.issued.at(-1) ?? '')).toBe(true) // each node strictly increases
            expect(parseHlc(hlc).node).toBe(node.clock.node)
            expect(everything.has(hlc)).toBe(false) // no two nodes ever issue equal HLCs
            everything.add(hlc)
            node.issued.push(hlc)
          }
        },
      ),
      { numRuns: 1000 },
    )
  })
})
