import type { SqlRow } from '../driver/sqlite.js'
import { type LiveQueryTiming, TimingRing } from '../inspect/timing-ring.js'
import { sameRows } from './objects.js'

/** A local commit's writes to one type: entity id → attribute → its new value. */
export type Touched = ReadonlyMap<string, ReadonlyMap<string, unknown>>

/**
 * Whether a write to `entity` can change a live query's result, given the ids in its last
 * result: see `equalityFilter`. Without one, every change to the type re-runs the query.
 */
export type MayChange = (
  entity: string,
  written: ReadonlyMap<string, unknown>,
  ids: ReadonlySet<unknown>,
) => boolean

interface Observer {
  type: string
  mayChange?: MayChange | undefined
  /** The ids in `last` (kept only for observers with `mayChange`). */
  ids?: Set<unknown>
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
  /**
   * For dirty types whose every change since the last flush was a known local write: the
   * entities written. A type dirty without an entry here changed in ways not listed (a pull).
   */
  private readonly touched = new Map<string, Map<string, Map<string, unknown>>>()
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
    mayChange?: MayChange,
  ): () => void {
    const timing = new TimingRing(type, query)
    const observer: Observer = { type, run, decode, callback, active: true, timing, mayChange }
    this.all.add(observer)
    // First call after the caller has its unsubscribe function in hand.
    queueMicrotask(() => this.check(observer))
    return () => {
      observer.active = false
      this.all.delete(observer)
    }
  }

  /**
   * Committed changes to `types`: their observers re-run on the next flush. With `touched`
   * (a local commit, which knows what it wrote) an observer that can tell re-runs only when
   * one of those writes can change its result.
   */
  notify(types: ReadonlySet<string>, touched?: ReadonlyMap<string, Touched>): void {
    if (types.size === 0 || this.all.size === 0) return
    for (const type of types) {
      const written = touched?.get(type)
      const fresh = !this.dirty.has(type)
      this.dirty.add(type)
      if (!written) {
        this.touched.delete(type)
        continue
      }
      const known = fresh ? new Map<string, Map<string, unknown>>() : this.touched.get(type)
      if (!known) continue // already dirty with unlisted changes
      for (const [entity, fields] of written) {
        const merged = known.get(entity) ?? new Map<string, unknown>()
        for (const [attribute, value] of fields) merged.set(attribute, value)
        known.set(entity, merged)
      }
      this.touched.set(type, known)
    }
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
    this.touched.clear()
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.release()
  }

  private flush(): void {
    this.timer = null
    this.lastFlushAt = performance.now()
    const types = new Set(this.dirty)
    const touched = new Map(this.touched)
    this.dirty.clear()
    this.touched.clear()
    for (const observer of this.all)
      if (types.has(observer.type) && affects(observer, touched.get(observer.type)))
        this.check(observer)
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
      if (observer.mayChange) observer.ids = new Set(rows.map((row) => row.id))
      const decoded = observer.decode(rows)
      observer.timing.record(performance.now() - started, rows.length, true)
      observer.callback(decoded)
    } catch (error) {
      this.onError(error)
    }
  }
}

/** Whether the writes listed (or unlisted changes: undefined) may change the observer's rows. */
const affects = (observer: Observer, touched: Touched | undefined): boolean => {
  const { mayChange, ids } = observer
  if (!touched || !mayChange || !ids) return true
  for (const [entity, written] of touched) if (mayChange(entity, written, ids)) return true
  return false
}

/**
 * `MayChange` for a query whose `where` compares fields to plain values (no operators, no
 * `limit`/`offset`, no deleted rows): a write can change its result only when its entity is in
 * the result now, or when the write does not prove the entity fails the filter (no written
 * field of the `where` holds a different value). Null for other queries: they re-run on every
 * change to their type.
 */
export const equalityFilter = (query: {
  where?: Record<string, unknown>
  limit?: number
  offset?: number
  includeDeleted?: boolean
}): MayChange | null => {
  const where = Object.entries(query.where ?? {})
  if (where.length === 0 || query.limit !== undefined || query.offset !== undefined) return null
  if (query.includeDeleted) return null
  // Strings and numbers reach SQL as they are written (other kinds are converted first).
  const plain = (value: unknown) => typeof value === 'string' || typeof value === 'number'
  if (!where.every(([field, value]) => field !== 'id' && plain(value))) return null
  return (entity, written, ids) => {
    if (ids.has(entity)) return true
    return !where.some(([field, value]) => written.has(field) && written.get(field) !== value)
  }
}
