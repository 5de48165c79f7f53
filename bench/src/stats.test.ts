import { describe, expect, it } from 'vitest'
import { interleave, sample, time } from './stats.js'

describe('sampling', () => {
  it('discards the warm-up runs and keeps the rest, in order', async () => {
    const calls: number[] = []
    const kept = await sample({ warmups: 1, runs: 5 }, (run) => {
      calls.push(run)
      return run * 10
    })
    expect(calls).toEqual([0, 1, 2, 3, 4, 5])
    expect(kept).toEqual([10, 20, 30, 40, 50])
  })

  it('takes the sides in turns, in a rotating order, so a change in load falls on all of them', async () => {
    const order: string[] = []
    const result = await interleave(
      { warmups: 1, runs: 2 },
      {
        ours: (run) => {
          order.push(`ours ${run}`)
          return run
        },
        baseline: (run) => {
          order.push(`baseline ${run}`)
          return -run
        },
      },
    )
    // The order rotates, so neither side always runs right after the other.
    expect(order).toEqual(['ours 0', 'baseline 0', 'baseline 1', 'ours 1', 'ours 2', 'baseline 2'])
    expect(result).toEqual({ ours: [1, 2], baseline: [-1, -2] })
  })

  it('keeps the error of a side that throws and goes on with the others', async () => {
    const broken = new Error('no Postgres')
    const result = await interleave(
      { warmups: 1, runs: 2 },
      {
        ours: () => 1,
        baseline: () => {
          throw broken
        },
      },
    )
    expect(result).toEqual({ ours: [1, 1], baseline: { error: broken } })
  })

  it('times from a collected heap, and refuses to time without one', async () => {
    const global = globalThis as { gc: (() => void) | undefined }
    const gc = global.gc
    try {
      global.gc = undefined
      await expect(time(() => {})).rejects.toThrow('--expose-gc')
      let collected = 0
      global.gc = () => {
        collected++
      }
      expect(await time(() => {})).toBeGreaterThanOrEqual(0)
      expect(collected).toBe(1)
    } finally {
      global.gc = gc
    }
  })
})
