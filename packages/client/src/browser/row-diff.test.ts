import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { applyDiff, diffRows, diffSize } from './row-diff.js'

const row = fc.record({
  id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'),
  title: fc.constantFrom('x', 'y'),
  tags: fc.option(fc.array(fc.constantFrom('p', 'q'), { maxLength: 2 }), { nil: undefined }),
})
/** A live query's rows: unique ids, any order. */
const rows = fc.uniqueArray(row, { selector: (r) => r.id, maxLength: 8 })

describe('live query rows sent as diffs', () => {
  it('the page rebuilds exactly the new list from its last one, whatever changed', () => {
    fc.assert(
      fc.property(rows, rows, (last, next) => {
        const diff = diffRows(last, next)
        const rebuilt = diff === null ? next : applyDiff(last, diff)
        expect(rebuilt).toEqual(next)
      }),
      { numRuns: 2_000 },
    )
  })

  it('one new row among many posts that row only, and the others keep their identity', () => {
    const last = Array.from({ length: 1_000 }, (_, i) => ({ id: `d${i}`, title: `t${i}` }))
    const next = [...last.slice(0, 500), { id: 'new', title: 'inserted' }, ...last.slice(500)]
    const diff = diffRows(last, next)!
    expect(diffSize(diff)).toBe(1)
    const rebuilt = applyDiff(last, diff)
    expect(rebuilt[0]).toBe(last[0])
    expect(rebuilt[500]).toEqual({ id: 'new', title: 'inserted' })
  })

  it('a changed row is sent again; rows without ids are sent whole', () => {
    const last = [
      { id: 'a', title: 'x' },
      { id: 'b', title: 'y' },
    ]
    const diff = diffRows(last, [last[0], { id: 'b', title: 'z' }])!
    expect(diff).toEqual([{ keep: [0, 1] }, { rows: [{ id: 'b', title: 'z' }] }])
    expect(diffRows([{ name: 'no id' }], [{ name: 'no id' }])).toBeNull()
  })
})
