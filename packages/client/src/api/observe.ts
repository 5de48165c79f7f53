import type { SqlRow } from '../driver/sqlite.js'
import { type LiveQueryTiming, TimingRing } from '../inspect/timing-ring.js'
import { sameRows } from './objects.js'

interface Observer {
  type: string
  run: () => SqlRow[]
  decode: (rows: SqlRow[]) => unknown[]
  callback: (rows: unknown[]) => void
  last?: SqlRow[]
  active: boolean
  /** Each run's duration, for `inspector().liveQueries()`. */
  timing: TimingRing
}

/**
 * Successive flushes are at least this far apart (about a frame): a first sync applying page
 * after page re-runs each live query ~60 times a second at most, not once per page (which was
 * quadratic: every page re-read and re-sent the whole list).
 */
export const FLUSH_GAP_MS = 16

/**
 * Live queries: each observer re-runs its (indexed) query after committed changes to its type,
 * local or synced, and is called only when the raw rows differ.
 *
 * Never inside the commit: a write resolves first, and the queries run on a later task, once
 * for all the commits of a burst (a transaction, a pulled page, 100 writes in a loop). So a
 * write costs the same with 10,000 rows on screen as with none, and an observer sees each
 * state at most once per flush, always a committed one.
 */
export class Observers {
  private readonly all = new Set<Observer>()
  /** Types changed since the last flush. */
  private readonly dirty = new Set<string>()
  private timer: ReturnType<typeof setTimeout> | null = null
  private lastFlushAt = Number.NEGATIVE_INFINITY
  private waiters: Array<() => void> = []

  constructor(private readonly onError: (error: unknown) => void) {}

  add(
    type: string,
    run: () => SqlRow[],
    decode: (rows: SqlRow[]) => unknown[],
    callback: (rows: unknown[]) => void,
    /** The query as the app gave it, shown by the inspector. */
    query: unknown = {},
  ): () => void {
    const timing = new TimingRing(type, query)
    const observer: Observer = { type, run, decode, callback, active: true, timing }
    this.all.add(observer)
    // First call after the caller has its unsubscribe function in hand.
    queueMicrotask(() => this.check(observer))
    return () => {
      observer.active = false
      this.all.delete(observer)
    }
  }

  /** Committed changes to `types`: their observers re-run on the next flush. */
  notify(types: ReadonlySet<string>): void {
    if (types.size === 0 || this.all.size === 0) return
    for (const type of types) this.dirty.add(type)
    if (this.timer) return
    const delay = Math.max(0, this.lastFlushAt + FLUSH_GAP_MS - performance.now())
    this.timer = setTimeout(() => this.flush(), delay)
  }

  /** Resolves once every change notified so far has reached its observers. */
  settled(): Promise<void> {
    if (!this.timer) return new Promise((resolve) => queueMicrotask(resolve))
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  /** Every live query's timings (`inspector().liveQueries()`). */
  timings(): LiveQueryTiming[] {
    return [...this.all].map((observer) => observer.timing.snapshot())
  }

  clear(): void {
    for (const observer of this.all) observer.active = false
    this.all.clear()
    this.dirty.clear()
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.release()
  }

  private flush(): void {
    this.timer = null
    this.lastFlushAt = performance.now()
    const types = new Set(this.dirty)
    this.dirty.clear()
    for (const observer of this.all) if (types.has(observer.type)) this.check(observer)
    this.release()
  }

  private release(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const resolve of waiters) resolve()
  }

  private check(observer: Observer): void {
    if (!observer.active) return
    try {
      // Two clock reads per run, nothing allocated: the app's callback is not counted.
      const started = performance.now()
      const rows = observer.run()
      if (observer.last && sameRows(observer.last, rows)) {
        observer.timing.record(performance.now() - started, rows.length, false)
        return
      }
      observer.last = rows
      const decoded = observer.decode(rows)
      observer.timing.record(performance.now() - started, rows.length, true)
      observer.callback(decoded)
    } catch (error) {
      this.onError(error)
    }
  }
}
