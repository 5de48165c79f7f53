import { describe, expect, it } from 'vitest'
import { openNodeDatabase } from '../node.js'
import { type SqliteDatabase, StatementCache } from './sqlite.js'

/** A driver without `raw`: statements that only return keyed rows. */
const keyedOnly = (db: SqliteDatabase): SqliteDatabase => ({
  prepare: (sql) => {
    const stmt = db.prepare(sql)
    return {
      reader: stmt.reader,
      all: (params) => stmt.all(params),
      run: (params) => stmt.run(params),
      iterate: (params) => stmt.iterate(params),
    }
  },
  close: () => db.close(),
})

describe('StatementCache.rows', () => {
  it.each([
    ['a driver with raw rows', (db: SqliteDatabase) => db],
    ['a driver with keyed rows only', keyedOnly],
  ])(
    'gives arrays in select order on %s, and keyed reads of the same SQL stay keyed',
    (_, wrap) => {
      const sql = new StatementCache(wrap(openNodeDatabase(':memory:')))
      sql.exec('CREATE TABLE t (id TEXT PRIMARY KEY, b TEXT, a INTEGER)')
      sql.run('INSERT INTO t VALUES (?, ?, ?), (?, ?, ?)', ['x', 'one', 1, 'y', null, 2])
      const select = 'SELECT a, id, b FROM t WHERE a >= ? ORDER BY id'
      expect(sql.rows(select, [1])).toEqual([
        [1, 'x', 'one'],
        [2, 'y', null],
      ])
      expect(sql.all(select, [2])).toEqual([{ a: 2, id: 'y', b: null }])
      expect(sql.rows(select, [2])).toEqual([[2, 'y', null]])
      sql.close()
    },
  )
})
