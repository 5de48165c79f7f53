/** How many recent re-runs of one live query the median is taken over. */
export const TIMING_WINDOW = 32

/** One live query's re-runs as `inspector().liveQueries()` reports them. */
export interface LiveQueryTiming {
  /** The entity type it reads. */
  type: string
  /** The query as the app passed it to `observe` (where, orderBy, limit, space…). */
  query: unknown
  /** Runs so far, the first included. */
  runs: number
  /** Runs whose rows differed from the previous ones, so the callback was called. */
  changes: number
  /** Rows of the last run. */
  rows: number
  /** Duration of the last run, ms (SQL, comparing and decoding; not the app's callback). */
  lastMs: number
  /** Median over the last runs (up to `TIMING_WINDOW`), ms. */
  medianMs: number
}

/**
 * The timings of one live query, kept in a fixed ring: recording a run writes two numbers and
 * allocates nothing, so measuring every re-run costs two `performance.now()` calls, whatever
 * the number of rows. Sorting for the median happens only when someone asks.
 */
export class TimingRing {
  private readonly durations = new Float64Array(TIMING_WINDOW)
  private runs = 0
  private changes = 0
  private rows = 0
  private lastMs = 0

  constructor(
    private readonly type: string,
    private readonly query: unknown,
  ) {}

  record(ms: number, rows: number, changed: boolean): void {
    this.durations[this.runs % TIMING_WINDOW] = ms
    this.runs += 1
    if (changed) this.changes += 1
    this.rows = rows
    this.lastMs = ms
  }

  snapshot(): LiveQueryTiming {
    const kept = this.durations.slice(0, Math.min(this.runs, TIMING_WINDOW)).sort()
    const mid = kept.length >> 1
    const median =
      kept.length === 0 ? 0 : kept.length % 2 ? kept[mid]! : (kept[mid - 1]! + kept[mid]!) / 2
    return {
      type: this.type,
      query: this.query,
      runs: this.runs,
      changes: this.changes,
      rows: this.rows,
      lastMs: this.lastMs,
      medianMs: median,
    }
  }
}
