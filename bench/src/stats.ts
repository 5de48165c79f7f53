import { performance } from 'node:perf_hooks'

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

/**
 * Milliseconds `fn` takes, starting from a collected heap (`npm run bench` runs Node with
 * `--expose-gc`): no sample, ours or a baseline's, pays for garbage the work before it left.
 */
export const time = async (fn: () => unknown): Promise<number> => {
  globalThis.gc?.()
  const start = performance.now()
  await fn()
  return performance.now() - start
}

/** Runs `fn` `runs` times one after another (never concurrently) and collects the results. */
export const repeat = async <T>(
  runs: number,
  fn: (run: number) => Promise<T> | T,
): Promise<T[]> => {
  const results: T[] = []
  for (let run = 0; run < runs; run++) results.push(await fn(run))
  return results
}

/** Median of `runs` timings of `fn`, ms, plus every sample (for the JSON file). */
export const medianTime = async (
  runs: number,
  fn: (run: number) => unknown,
): Promise<{ ms: number; samples: number[] }> => {
  const samples = await repeat(runs, (run) => time(() => fn(run)))
  return { ms: median(samples), samples }
}

/** Events (or rows, requests) per second for `count` items done in `ms`. */
export const perSecond = (count: number, ms: number): number => (count * 1000) / ms
