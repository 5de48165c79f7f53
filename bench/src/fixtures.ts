import type { Bench } from './context.js'
import { makeRow, settle } from './context.js'
import { atMost } from './goals.js'
import { timeSamples } from './stats.js'
import { missing, sampled } from './table.js'

/**
 * Tiny benchmarks for the runner's own test (runner.test.ts), selectable only when
 * `TIDINGS_BENCH_FIXTURES=1`: one that throws, one whose measurement fails, one that works.
 */
export const FIXTURES: readonly Bench[] = [
  {
    name: 'fixture-throws',
    run: async () => {
      throw new Error('this benchmark is broken on purpose')
    },
  },
  {
    name: 'fixture-unmeasured',
    run: async (ctx) => {
      ctx.report(
        makeRow({
          bench: 'fixture-unmeasured',
          measure: 'a measurement that failed',
          ours: missing(new Error('server answered 429')),
          baseline: null,
        }),
      )
    },
  },
  {
    name: 'fixture-steady',
    run: async (ctx) => {
      let calls = 0
      const ours = await settle(async () =>
        sampled(
          await timeSamples(ctx, () => {
            calls++
          }),
          'ms',
        ),
      )
      ctx.report(
        makeRow({
          bench: 'fixture-steady',
          measure: `an empty function, called ${calls} times`,
          ours,
          baseline: null,
          goal: atMost(1_000, '≤ 1 s'),
        }),
      )
    },
  },
]
