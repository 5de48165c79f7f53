import { TidingsError } from './errors.js'
import { assertWithinDrift, formatHlc, type Hlc, MAX_COUNTER, parseHlc } from './hlc.js'

export interface ClockOptions {
  /** This node's id; ends every HLC it issues, so two nodes never issue the same one. */
  node: string
  /** Wall clock in epoch ms; injectable for tests. */
  now?: () => number
  /** The last HLC this node issued or saw (persisted by the caller), so restarts never go back. */
  last?: Hlc | null
  /** Correction added to the wall clock: an estimate of `serverTime - deviceTime`. */
  offsetMs?: number
  /**
   * A monotonic clock in ms (`performance.now()`, the default where there is one), which no one
   * sets: when the wall clock moves against it, the wall clock was set (by the OS, NTP or the
   * user) and the offset learnt against the old wall clock is dropped. Injectable for tests;
   * with an injected `now` there is none unless given (a fake wall clock is unrelated to the
   * real monotonic one), and null turns the check off.
   */
  monotonic?: (() => number) | null
}

/**
 * How far the wall clock may wander from the monotonic one before it counts as set. NTP slews a
 * clock by at most 0.5 ms/s, so only a step, or a long slew, gets past this; both make the
 * offset stale by that much.
 */
export const WALL_STEP_MS = 1_000

/** `performance.now` where the runtime has it (browsers, Node, Deno, Bun), bound to its owner. */
const defaultMonotonic = (): (() => number) | null => {
  const performance = (globalThis as { performance?: { now(): number } }).performance
  return typeof performance?.now === 'function' ? () => performance.now() : null
}

/**
 * Hybrid logical clock (Kulkarni et al., 2014). `send()` stamps a local event, `receive()`
 * merges a remote timestamp; every value issued is greater than every value issued or
 * received before it. Not a singleton: each client owns one.
 */
export class HybridClock {
  readonly node: string
  private readonly now: () => number
  private ms = 0
  private counter = 0
  private offset = 0
  private readonly monotonic: (() => number) | null
  /** Wall minus monotonic time when the offset was set: what a set wall clock changes. */
  private anchor = 0

  constructor(options: ClockOptions) {
    this.node = options.node
    this.now = options.now ?? Date.now
    this.monotonic =
      options.monotonic !== undefined ? options.monotonic : options.now ? null : defaultMonotonic()
    this.setOffset(options.offsetMs ?? 0)
    formatHlc({ ms: 0, counter: 0, node: this.node }) // validates the node id
    if (options.last) {
      const last = parseHlc(options.last)
      this.ms = last.ms
      this.counter = last.counter
    }
  }

  /**
   * The corrected physical time this clock reads. When the wall clock has been set since the
   * offset was learnt, the offset is dropped first (see `WALL_STEP_MS`): it corrected a wall
   * clock that no longer exists. A device a day slow learns +24 h; once its clock is put right,
   * keeping +24 h would stamp every write a day ahead (refused as drift, or winning every
   * conflict within the drift limit). Zero is the best guess until the next sync measures again.
   */
  physical(): number {
    const now = this.now()
    if (this.monotonic && this.offset !== 0) {
      const anchor = now - this.monotonic()
      if (Math.abs(anchor - this.anchor) > WALL_STEP_MS) this.setOffset(0)
    }
    return Math.max(0, Math.round(now + this.offset))
  }

  get offsetMs(): number {
    return this.offset
  }

  setOffset(offsetMs: number): void {
    if (!Number.isFinite(offsetMs))
      throw new TidingsError(
        'bad_request',
        `clock offset must be a finite number of ms: ${offsetMs}`,
      )
    this.offset = offsetMs
    if (this.monotonic) this.anchor = this.now() - this.monotonic()
  }

  /**
   * Moves the clock back to `to` (null: as new), forgetting every later value it issued or
   * received. Only for a caller that has made sure nobody holds such a value any more (see the
   * client's re-stamping of bundles the server never stored), or invariant 2 breaks.
   */
  rewind(to: Hlc | null): void {
    const parts = to === null ? { ms: 0, counter: 0 } : parseHlc(to)
    this.ms = parts.ms
    this.counter = parts.counter
  }

  /** The latest value issued or received, for persisting; null before the first. */
  get last(): Hlc | null {
    return this.ms === 0 && this.counter === 0 ? null : this.format()
  }

  /** A new timestamp for a local event. */
  send(): Hlc {
    const pt = this.physical()
    return pt > this.ms ? this.advance(pt, 0) : this.advance(this.ms, this.counter + 1)
  }

  /**
   * Merges a remote timestamp so the next `send()` is greater than it. With `maxDriftMs`,
   * a timestamp that far ahead of this clock is refused with `clock_drift` instead of
   * dragging the clock into the future.
   */
  receive(remote: Hlc, options?: { maxDriftMs?: number }): Hlc {
    const r = parseHlc(remote)
    const pt = this.physical()
    if (options?.maxDriftMs !== undefined) assertWithinDrift(remote, pt, options.maxDriftMs)
    const ms = Math.max(this.ms, r.ms, pt)
    if (ms === this.ms && ms === r.ms)
      return this.advance(ms, Math.max(this.counter, r.counter) + 1)
    if (ms === this.ms) return this.advance(ms, this.counter + 1)
    if (ms === r.ms) return this.advance(ms, r.counter + 1)
    return this.advance(ms, 0)
  }

  /**
   * Moves the clock to (ms, counter) and returns its text. Counter overflow borrows the next
   * millisecond rather than failing. State changes only once the value formats, so a refused
   * value (past year 9999) leaves the clock as it was.
   */
  private advance(ms: number, counter: number): Hlc {
    const overflow = counter > MAX_COUNTER
    const nextMs = overflow ? ms + 1 : ms
    const nextCounter = overflow ? 0 : counter
    const hlc = formatHlc({ ms: nextMs, counter: nextCounter, node: this.node })
    this.ms = nextMs
    this.counter = nextCounter
    return hlc
  }

  private format(): Hlc {
    return formatHlc({ ms: this.ms, counter: this.counter, node: this.node })
  }
}
