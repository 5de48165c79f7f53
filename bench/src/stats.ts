import { performance } from 'node:perf_hooks'
import { type Collectable, collect } from './gc.js'

/** Middle value (mean of the two middle values for an even count); NaN for none. */
export const median = (values: readonly number[]): number => percentile(values, 50)

/** Linear-interpolated percentile `p` (0–100) of `values`. */
export const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = (p / 100) * (sorted.length - 1)
  const low = Math.floor(rank)
  const high = Math.ceil(rank)
  const a = sorted[low] as number
  const b = sorted[high] as number
  return a + (b - a) * (rank - low)
}

/** How many times a measurement runs: `warmups` discarded runs first, then `runs` kept. */
export interface Sampling {
  runs: number
  warmups: number
}

/** The fewest kept samples of any row (`--runs` can only raise it), and the discarded warm-ups. */
export const MIN_RUNS = 5
export const WARMUPS = 1

/**
 * Runs `fn` `warmups + runs` times one after another (never concurrently) and keeps the last
 * `runs` results: the first runs pay for JIT compilation, cold caches and lazy setup.
 * `run` counts from 0 over all runs, warm-ups included (for unique file names).
 */
export const sample = async <T>(
  sampling: Sampling,
  fn: (run: number) => Promise<T> | T,
): Promise<T[]> => {
  const kept: T[] = []
  for (let run = 0; run < sampling.warmups + sampling.runs; run++) {
    const result = await fn(run)
    if (run >= sampling.warmups) kept.push(result)
  }
  return kept
}

/**
 * Milliseconds `fn` takes, starting from a collected heap here and in `servers` (their
 * processes take part in the work): no sample, ours or a baseline's, pays for garbage the work
 * before it left.
 */
export const time = async (
  fn: () => unknown,
  servers: readonly Collectable[] = [],
): Promise<number> => {
  await collect(servers)
  const start = performance.now()
  await fn()
  return performance.now() - start
}

/** Kept timings of `fn`, ms, after the warm-ups (see `sample`). */
export const timeSamples = (
  sampling: Sampling,
  fn: (run: number) => unknown,
  servers: readonly Collectable[] = [],
): Promise<number[]> => sample(sampling, (run) => time(() => fn(run), servers))

/** Events (or rows, requests) per second for `count` items done in `ms`. */
export const perSecond = (count: number, ms: number): number => (count * 1000) / ms

/**
 * Samples of several measurements taken in turns, so a change in the machine's load falls on
 * every side alike instead of on whichever ran last. The order rotates each run (a b, b a, …):
 * no side always follows the same other one (whose disk writeback or garbage it would inherit).
 * A side that throws stops there; its error is kept in place of its samples.
 */
export const interleave = async <K extends string>(
  sampling: Sampling,
  sides: Record<K, (run: number) => Promise<number> | number>,
): Promise<Record<K, number[] | { error: unknown }>> => {
  const names = Object.keys(sides) as K[]
  const out = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<
    K,
    number[] | { error: unknown }
  >
  for (let run = 0; run < sampling.warmups + sampling.runs; run++) {
    const shift = run % names.length
    for (const name of [...names.slice(shift), ...names.slice(0, shift)]) {
      const kept = out[name]
      if (!Array.isArray(kept)) continue
      try {
        const value = await sides[name](run)
        if (run >= sampling.warmups) kept.push(value)
      } catch (error) {
        out[name] = { error }
      }
    }
  }
  return out
}
