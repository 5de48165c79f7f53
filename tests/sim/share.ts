import { expect, it } from 'vitest'
import { describeFailure, runSchedules, shareOf, summary } from './run.js'

/** Files the CI run is split into (`schedules-N.test.ts`), so vitest runs them in parallel. */
export const FILES = 2

/**
 * Time allowed per schedule before the test times out: about 20 times what one takes on a
 * quiet machine, since the CI machine may be shared. Only a hang should ever reach it.
 */
const BUDGET_MS = 3_000

/**
 * Declares the test of this file's share of the run's schedules: it fails with every
 * unexplained failure's seed and replay command. Known bugs (known-bugs.ts) are counted and
 * printed, not failed.
 */
export const shareTest = (file: number): void => {
  const { first, count, base, total } = shareOf(file, FILES)
  it(
    `converges with nothing lost, skipped or leaked across ${count} schedules (seeds ${first}…${first + count - 1})`,
    async () => {
      console.log(
        `sim: file ${file + 1}/${FILES}: ${count} of ${total} schedules (base seed ${base}; SIM_BASE_SEED=${base} repeats this run)`,
      )
      const report = await runSchedules(first, count)
      console.log(summary(report))
      expect(report.failed.map(describeFailure)).toEqual([])
    },
    60_000 + count * BUDGET_MS,
  )
}
