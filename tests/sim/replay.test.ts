import { describe, expect, it, vi } from 'vitest'
import { describeFailure, runSchedules } from './run.js'
import { runSchedule } from './schedule.js'

vi.mock('uuidv7', () => import('./ids.js'))

/** `SIM_SEED=n` replays schedule n here, trace printed; without it, a schedule known to pass. */
const seed = Number(process.env.SIM_SEED ?? 1)

describe('replay', () => {
  it(`replays one schedule with its trace (SIM_SEED=${seed})`, async () => {
    const outcome = await runSchedule(seed)
    console.log(outcome.trace.join('\n'))
    if (outcome.failures.length) console.error(describeFailure(outcome))
    expect(outcome.failures).toEqual([])
  })

  it('gives the same trace for the same seed, whatever ran before it in the process', async () => {
    const seeds = [20, 63, 1_000_003]
    const first: string[][] = []
    for (const s of seeds) first.push((await runSchedule(s)).trace)
    await runSchedules(7, 5)
    for (const [i, s] of seeds.entries()) {
      const again = await runSchedule(s)
      expect(again.trace.length).toBeGreaterThan(20)
      expect(again.trace).toEqual(first[i])
    }
  })
})
