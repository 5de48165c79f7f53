import { describe, expect, it } from 'vitest'
import { failures, missing, type Row } from './table.js'

const cell = { value: 1, unit: 'ms', text: '1 ms' }

describe('the results table', () => {
  it('lists every cell that could not be measured, so the run can fail on it', () => {
    const rows: Row[] = [
      { bench: 'a', measure: 'fine', ours: cell, baseline: cell },
      {
        bench: 'b',
        measure: 'ours broke',
        ours: missing(new Error('live answered 429')),
        baseline: cell,
      },
      { bench: 'c', measure: 'baseline broke', ours: cell, baseline: missing('no Postgres') },
      { bench: 'd', measure: 'reference only', ours: null, baseline: cell },
    ]
    expect(failures(rows)).toEqual(['ours broke: live answered 429', 'baseline broke: no Postgres'])
    expect(failures(rows.slice(0, 1))).toEqual([])
  })
})
