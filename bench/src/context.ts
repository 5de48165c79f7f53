import { type Goal, ratioRange } from './goals.js'
import type { Sampling } from './stats.js'
import { type Cell, isCell, type Missing, missing, type Row } from './table.js'

/** What every benchmark gets: the run's size, a scratch folder and where to put rows. */
export interface BenchContext extends Sampling {
  quick: boolean
  /** Kept runs per measurement (at least 5), after `warmups` discarded ones. */
  runs: number
  /** Scratch folder, removed after the run. */
  tmp: string
  /** `full` in a full run, `quick` under `--quick`. */
  size(full: number, quick: number): number
  report(row: Row): void
  /** Progress line on stderr (the table goes to stdout). */
  log(message: string): void
}

export interface Bench {
  name: string
  run(ctx: BenchContext): Promise<void>
}

/** Runs a measurement; a throw becomes the error shown in its cell instead of ending the run. */
export const settle = async (fn: () => Promise<Cell>): Promise<Cell | Missing> => {
  try {
    return await fn()
  } catch (error) {
    return missing(error)
  }
}

export interface RowInput {
  bench: string
  measure: string
  ours: Cell | Missing | null
  baseline: Cell | Missing | null
  baselineName?: string
  goal?: Goal
  note?: string
}

/** A table row with its ratio and, when both sides were measured, whether the goal is met. */
export const makeRow = (input: RowInput): Row => {
  const row: Row = {
    bench: input.bench,
    measure: input.measure,
    ours: input.ours,
    baseline: input.baseline,
  }
  if (input.baselineName) row.baselineName = input.baselineName
  if (input.note) row.note = input.note
  if (isCell(input.ours) && isCell(input.baseline) && input.baseline.value !== 0) {
    row.ratio = input.ours.value / input.baseline.value
    const range = ratioRange(input.ours, input.baseline)
    if (range) row.ratioRange = range
  }
  if (input.goal) {
    row.goal = input.goal.text
    if (isCell(input.ours)) {
      const verdict = input.goal.judge(input.ours, isCell(input.baseline) ? input.baseline : null)
      if (verdict) row.verdict = verdict
    }
  }
  return row
}
