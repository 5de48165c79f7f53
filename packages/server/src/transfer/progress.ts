import type { StreamSize } from '../store/store.js'

/** Where progress goes: stderr. On a terminal one line is redrawn in place. */
export interface ProgressOutput {
  write(text: string): unknown
  isTTY?: boolean
}

export interface ProgressOptions {
  /** `export` or `import`: starts every line. */
  verb: string
  output: ProgressOutput
  /** Least time between two reports; 0 reports every step. */
  everyMs: number
  now?: () => number
}

/** How often progress is reported unless TIDINGS_PROGRESS_MS says otherwise. */
export const DEFAULT_PROGRESS_MS = { terminal: 200, plain: 5_000 }

/**
 * Counts bundles and events done and reports them with the rate and, once the total is known,
 * the percentage and ETA. Reports are throttled by time, so a million small steps cost nothing.
 */
export class Progress {
  private done: StreamSize = { bundles: 0, events: 0 }
  private total: StreamSize | undefined
  private readonly started: number
  private lastReport = Number.NEGATIVE_INFINITY
  private drawn = false
  private readonly now: () => number

  constructor(private readonly options: ProgressOptions) {
    this.now = options.now ?? Date.now
    this.started = this.now()
  }

  /** The total, when it becomes known (an import learns it from the export's first line). */
  expect(total: StreamSize): void {
    this.total = total
  }

  add(bundles: number, events: number): void {
    this.done = { bundles: this.done.bundles + bundles, events: this.done.events + events }
    const now = this.now()
    if (now - this.lastReport < this.options.everyMs) return
    this.lastReport = now
    this.report()
  }

  /** Ends a redrawn line, so what follows starts on its own. */
  finish(): void {
    if (this.drawn) this.options.output.write('\n')
    this.drawn = false
  }

  get elapsedMs(): number {
    return this.now() - this.started
  }

  /** The current report, e.g. `import: 1,200 of 4,000 bundles, 12,000 of 40,000 events (30%), 6,000 events/s, ETA 5s`. */
  line(): string {
    const { done, total } = this
    const seconds = this.elapsedMs / 1000
    const parts = [
      `${this.options.verb}: ${of(done.bundles, total?.bundles)} bundles, ${of(done.events, total?.events)} events`,
    ]
    if (total && total.events > 0)
      parts[0] += ` (${Math.min(100, Math.floor((done.events / total.events) * 100))}%)`
    if (seconds > 0) {
      const rate = done.events / seconds
      parts.push(`${count(Math.round(rate))} events/s`)
      if (total && rate > 0)
        parts.push(`ETA ${duration(Math.max(0, total.events - done.events) / rate)}`)
    }
    return parts.join(', ')
  }

  private report(): void {
    const { output } = this.options
    if (output.isTTY) {
      output.write(`\r${this.line()}\x1b[K`)
      this.drawn = true
    } else output.write(`${this.line()}\n`)
  }
}

export const count = (n: number): string => n.toLocaleString('en-US')

const of = (done: number, total: number | undefined): string =>
  total === undefined ? count(done) : `${count(done)} of ${count(total)}`

/** `7s`, `3m05s`, `2h04m`. */
export const duration = (seconds: number): string => {
  const s = Math.ceil(seconds)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}
