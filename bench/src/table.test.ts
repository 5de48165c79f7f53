import { describe, expect, it } from 'vitest'
import { makeRow } from './context.js'
import { atMost, ratioAtLeast, ratioAtMost } from './goals.js'
import { cell, failures, missing, type Row, renderTable, sampled } from './table.js'

const one = cell(1, 'ms')

describe('the results table', () => {
  it('lists every cell that could not be measured, so the run can fail on it', () => {
    const rows: Row[] = [
      { bench: 'a', measure: 'fine', ours: one, baseline: one },
      {
        bench: 'b',
        measure: 'ours broke',
        ours: missing(new Error('live answered 429')),
        baseline: one,
      },
      { bench: 'c', measure: 'baseline broke', ours: one, baseline: missing('no Postgres') },
      { bench: 'd', measure: 'reference only', ours: null, baseline: one },
    ]
    expect(failures(rows)).toEqual(['ours broke: live answered 429', 'baseline broke: no Postgres'])
    expect(failures(rows.slice(0, 1))).toEqual([])
  })

  it('prints every measured cell as median [min–max], and the ratio over every pairing', () => {
    const ours = sampled([12, 10, 11, 13, 10.5], 'ms')
    expect(ours).toMatchObject({ value: 11, min: 10, max: 13, text: '11.0 [10.0–13.0] ms' })
    expect(ours.samples).toEqual([12, 10, 11, 13, 10.5])
    const row = makeRow({
      bench: 'x',
      measure: 'm',
      ours,
      baseline: sampled([20, 22, 21, 20, 25], 'ms'),
    })
    expect(row.ratio).toBeCloseTo(11 / 21)
    expect(row.ratioRange).toEqual([10 / 25, 13 / 20])
    expect(renderTable([row])).toContain(
      '| 11.0 [10.0–13.0] ms | 21.0 [20.0–25.0] ms | 0.524× [0.400–0.650] |',
    )
  })
})

describe('a goal', () => {
  const rates = (...samples: number[]) => sampled(samples, 'events/s')
  const verdict = (ours: number[], baseline: number[]) =>
    makeRow({
      bench: 'x',
      measure: 'm',
      ours: rates(...ours),
      baseline: rates(...baseline),
      goal: ratioAtLeast(0.4, '≥ 40%'),
    }).verdict

  it('is met only when our slowest sample clears it against the baseline’s fastest', () => {
    expect(verdict([41, 42, 43, 44, 45], [95, 98, 100, 100, 100])).toBe('met')
  })

  it('is within noise when only the medians clear it (remote apply at 0.401× of a noisy raw insert)', () => {
    expect(verdict([39, 40, 40.1, 41, 42], [92, 98, 100, 101, 108])).toBe('within noise')
  })

  it('is missed when the medians do not clear it', () => {
    expect(verdict([30, 35, 38, 41, 50], [95, 98, 100, 100, 100])).toBe('missed')
  })

  it('on a cost: our slowest sample against the baseline’s fastest must stay under the bound', () => {
    const judge = (ours: number[]) =>
      ratioAtMost(2, '≤ 2×').judge(sampled(ours, 'ms'), sampled([4, 4, 5, 5, 6], 'ms'))
    expect(judge([5, 6, 7, 7, 8])).toBe('met')
    expect(judge([5, 6, 9, 9, 9])).toBe('within noise')
    expect(judge([11, 11, 12, 12, 13])).toBe('missed')
  })

  it('in our own unit: every sample within the limit is met, only the median within noise', () => {
    const limit = atMost(30, '≤ 30 ms')
    expect(limit.judge(sampled([20, 25, 29, 29, 30], 'ms'), null)).toBe('met')
    expect(limit.judge(sampled([20, 25, 29, 29, 31], 'ms'), null)).toBe('within noise')
    expect(limit.judge(sampled([20, 31, 32, 33, 34], 'ms'), null)).toBe('missed')
  })

  it('is not judged when a side could not be measured', () => {
    const row = makeRow({
      bench: 'x',
      measure: 'm',
      ours: rates(1, 2, 3, 4, 5),
      baseline: missing('no Postgres'),
      goal: ratioAtLeast(0.4, '≥ 40%'),
    })
    expect(row.verdict).toBeUndefined()
  })
})
