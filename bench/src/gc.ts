/**
 * Forced garbage collection, checked rather than hoped for: every timed sample, ours and the
 * baselines', starts from a collected heap in every process that takes part (this one and any
 * server process). Without `--expose-gc` that promise would silently not hold, so the run
 * refuses to start instead (`npm run bench` passes the flag).
 */

/** The exit code of a run that could not start: a usage error, like an unknown benchmark. */
export const USAGE_EXIT = 2

export class GcUnavailableError extends Error {
  readonly code = 'gc_unavailable'
  constructor() {
    super(
      'globalThis.gc is missing: run the benchmarks with `node --expose-gc` (as `npm run bench` does), or no sample would start from a collected heap',
    )
    this.name = 'GcUnavailableError'
  }
}

/** This process's collector; throws `GcUnavailableError` without `--expose-gc`. */
export const requireGc = (): (() => void) => {
  const gc = globalThis.gc
  if (typeof gc !== 'function') throw new GcUnavailableError()
  return () => {
    gc()
  }
}

/** Something else that holds a heap for the work being timed (a server process). */
export interface Collectable {
  collect(): Promise<void>
}

/** A full collection here and in every process in `others`, before a sample starts. */
export const collect = async (others: readonly Collectable[] = []): Promise<void> => {
  requireGc()()
  await Promise.all(others.map((other) => other.collect()))
}
