import { describe, expect, it, vi } from 'vitest'
import type { Check } from './checks.js'
import { describeFailure } from './run.js'
import { runSchedule } from './schedule.js'
import type { Plant, SimRequest } from './server.js'

vi.mock('uuidv7', () => import('./ids.js'))

// The simulation must catch a broken server, or its green runs mean nothing: each test plants
// one bug in the server's answers and expects the checks to name it, with a seed.

const isSync = (request: SimRequest): boolean => request.url.startsWith('/v1/sync')

/** Leaves the first bundle of one pulled page out (the cursor still moves past it). */
const skipsABundle = (): Plant => {
  let done = false
  return {
    answer: (request, answer) => {
      if (done || !isSync(request) || answer.status !== 200) return answer
      const body = JSON.parse(answer.body) as { bundles: unknown[] }
      if (body.bundles.length === 0) return answer
      done = true
      return { ...answer, body: JSON.stringify({ ...body, bundles: body.bundles.slice(1) }) }
    },
  }
}

/** Drops the last pushed bundle of one request before storing, yet acknowledges it. */
const acknowledgesWithoutStoring = (): Plant => {
  let dropped: string | null = null
  let done = false
  return {
    request: (request) => {
      if (done || !isSync(request) || !request.body) return request
      const body = JSON.parse(request.body) as { bundles: Array<{ id: string }> }
      if (body.bundles.length === 0) return request
      dropped = (body.bundles.at(-1) as { id: string }).id
      done = true
      return { ...request, body: JSON.stringify({ ...body, bundles: body.bundles.slice(0, -1) }) }
    },
    answer: (_request, answer) => {
      if (!dropped || answer.status !== 200) return answer
      const body = JSON.parse(answer.body) as { accepted: string[] }
      const accepted = [...body.accepted, dropped]
      dropped = null // acknowledged once; later requests go through untouched
      return { ...answer, body: JSON.stringify({ ...body, accepted }) }
    },
  }
}

/** Runs seeds from `first` until one fails with `check`; returns that seed's report. */
const caught = async (plant: () => Plant, check: Check, first: number): Promise<string> => {
  for (let seed = first; seed < first + 20; seed++) {
    const outcome = await runSchedule(seed, {
      prepare: (world) => {
        world.server.plant = plant()
      },
    })
    if (outcome.failures.some((f) => f.check === check)) return describeFailure(outcome)
  }
  return 'not caught in 20 schedules'
}

describe('planted bugs are caught', () => {
  it('a server that skips one bundle of a pulled page: skipped', async () => {
    const report = await caught(skipsABundle, 'skipped', 1)
    console.log(report)
    expect(report).toMatch(/FAILED with seed \d+ \(replay: SIM_SEED=\d+/)
    expect(report).toMatch(/skipped on \w+: lacks/)
  })

  it('a server that acknowledges a bundle it did not store: lost', async () => {
    const report = await caught(acknowledgesWithoutStoring, 'lost', 1)
    console.log(report)
    expect(report).toMatch(/FAILED with seed \d+/)
    expect(report).toMatch(/lost: acked \w+ gone/)
  })
})
