import { describe, expect, it } from 'vitest'
import { t } from '../schema/attr.js'
import { defineSchema } from '../schema/define.js'
import { rowToObject } from './objects.js'
import { decodeRows, fetchColumns, rowDecoder } from './row-decoder.js'

const schema = defineSchema({
  item: {
    name: t.string(),
    size: t.number().optional(),
    done: t.boolean().default(false),
    due: t.date().optional(),
    tags: t.json<string[]>().default([]),
    owner: t.ref('item').optional(),
  },
})
const shape = schema.shape('item')

/** The typed-table columns as SQLite returns them, keyed (what `rowToObject` reads). */
const keyed = (values: unknown[]): Record<string, unknown> =>
  Object.fromEntries(fetchColumns(shape).map((name, i) => [name, values[i]]))

const rows: unknown[][] = [
  ['a', 'full', 2.5, 1, '2026-11-26T08:00:00.000Z', '["x"]', 'b'],
  ['b', 'bare', null, null, null, null, null],
  ['c', null, 0, 0, null, 'null', null],
  ['d', 'bigint true', null, 1n, '2026-01-01T00:00:00.000Z', '{"k":[1]}', 'a'],
]

describe('rowDecoder', () => {
  it('selects id, the declared attributes in schema order, then the space', () => {
    expect(fetchColumns(shape)).toEqual([
      'id',
      'name',
      'size',
      'done',
      'due',
      'tags',
      'owner',
      'space',
    ])
  })

  it('builds the same objects as rowToObject, key order included', () => {
    const decode = rowDecoder(shape)
    for (const row of rows) {
      const want = rowToObject(shape, keyed(row))
      const got = decode(row)
      expect(got).toEqual(want)
      expect(Object.keys(got)).toEqual(Object.keys(want))
    }
  })

  it('decodes kinds: Date, boolean, parsed JSON; defaults fill in; absent optionals stay out', () => {
    const [full, bare] = decodeRows(
      shape,
      rows.slice(0, 2).map((r) => [...r]),
    )
    expect(full).toEqual({
      id: 'a',
      space: null,
      name: 'full',
      size: 2.5,
      done: true,
      due: new Date('2026-11-26T08:00:00.000Z'),
      tags: ['x'],
      owner: 'b',
    })
    expect(full!.due).toBeInstanceOf(Date)
    expect(bare).toEqual({ id: 'b', space: null, name: 'bare', done: false, tags: [] })
    expect('size' in bare!).toBe(false)
  })

  it('reads a missing required value as null, as rowToObject does', () => {
    expect(rowDecoder(shape)(rows[2]!).name).toBeNull()
  })
})
