import { type Cell, isCell, type Missing, missing, type Row } from './table.js'

/** What every benchmark gets: the run's size, a scratch folder and where to put rows. */
export interface BenchContext {
  quick: boolean
  /** Runs per measurement; each reported value is the median. */
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

export interface Goal {
  text: string
  met(ours: Cell, ratio: number | undefined): boolean
}

/** ours / baseline must reach `min` (throughputs). */
export const ratioAtLeast = (min: number, text: string): Goal => ({
  text,
  met: (_ours, ratio) => ratio !== undefined && ratio >= min,
})

/** ours / baseline must stay under `max` (costs). */
export const ratioAtMost = (max: number, text: string): Goal => ({
  text,
  met: (_ours, ratio) => ratio !== undefined && ratio <= max,
})

/** ours alone must stay under `max` in its own unit. */
export const atMost = (max: number, text: string): Goal => ({
  text,
  met: (ours) => ours.value <= max,
})

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
  if (isCell(input.ours) && isCell(input.baseline) && input.baseline.value !== 0)
    row.ratio = input.ours.value / input.baseline.value
  if (input.goal) {
    row.goal = input.goal.text
    if (isCell(input.ours)) row.met = input.goal.met(input.ours, row.ratio)
  }
  return row
}
