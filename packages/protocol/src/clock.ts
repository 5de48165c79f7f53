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

  constructor(options: ClockOptions) {
    this.node = options.node
    this.now = options.now ?? Date.now
    this.setOffset(options.offsetMs ?? 0)
    formatHlc({ ms: 0, counter: 0, node: this.node }) // validates the node id
    if (options.last) {
      const last = parseHlc(options.last)
      this.ms = last.ms
      this.counter = last.counter
    }
  }

  /** The corrected physical time this clock reads. */
  physical(): number {
    return Math.max(0, Math.round(this.now() + this.offset))
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
