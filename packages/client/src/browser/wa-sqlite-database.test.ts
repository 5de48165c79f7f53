import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import * as SQLite from '@journeyapps/wa-sqlite'
import SQLiteModuleFactory from '@journeyapps/wa-sqlite/dist/wa-sqlite.mjs'
import { isTidingsError } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { openClient } from '../api/client.js'
import type { SqliteDatabase } from '../driver/sqlite.js'
import { openNodeDatabase } from '../node.js'
import { librarySchema } from '../test/fixtures.js'
import { WaSqliteDatabase } from './wa-sqlite-database.js'
import { bindSqlite, type WasmModule } from './wasm-module.js'

// The browser's SQLite (wa-sqlite's synchronous build) runs in Node too when handed its wasm
// bytes, on an in-memory database: the same driver cases run against it and better-sqlite3,
// and the client core runs on it unchanged. OPFS and IndexedDB storage are exercised in
// Chromium by tests/e2e.
const wasm = readFileSync(
  createRequire(import.meta.url).resolve('@journeyapps/wa-sqlite/dist/wa-sqlite.wasm'),
)

const openWa = async (): Promise<WaSqliteDatabase> => {
  const module = (await SQLiteModuleFactory({ wasmBinary: wasm })) as WasmModule
  const db = await SQLite.Factory(module).open_v2(':memory:')
  return new WaSqliteDatabase(module, bindSqlite(module), db)
}

const drivers: Array<[string, () => Promise<SqliteDatabase>]> = [
  ['wa-sqlite', openWa],
  ['better-sqlite3', async () => openNodeDatabase(':memory:')],
]

describe.each(drivers)('SqliteDatabase driver: %s', (_name, open) => {
  it('binds and reads back every SQLite value kind the way better-sqlite3 does', async () => {
    const db = await open()
    db.prepare('CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n)').run([])
    const insert = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?)')
    const big = 2n ** 60n
    insert.run([42, 1.5, 'héllo ✓ 𝄞', new Uint8Array([0, 1, 255]), null])
    insert.run([big, -0.25, '', new Uint8Array([]), 7])
    const rows = db.prepare('SELECT i, r, s, b, n FROM t ORDER BY rowid').all([]) as Array<
      Record<string, unknown>
    >
    expect(rows[0]).toMatchObject({ i: 42, r: 1.5, s: 'héllo ✓ 𝄞', n: null })
    expect([...(rows[0]!.b as Uint8Array)]).toEqual([0, 1, 255])
    expect(rows[1]).toMatchObject({ r: -0.25, s: '', n: 7 })
    // Beyond 2^53 better-sqlite3 rounds to a number; wa-sqlite keeps it exact as a bigint.
    expect(BigInt(rows[1]!.i as number | bigint)).toBe(big)
  })

  it('reports reader statements, changes and the last rowid', async () => {
    const db = await open()
    const create = db.prepare('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')
    expect(create.reader).toBe(false)
    create.run([])
    const insert = db.prepare('INSERT INTO t (v) VALUES (?), (?)')
    expect(insert.run(['a', 'b'])).toEqual({ changes: 2, lastInsertRowid: 2 })
    expect(db.prepare('UPDATE t SET v = ?').run(['c']).changes).toBe(2)
    const select = db.prepare('SELECT id, v FROM t WHERE id >= ? ORDER BY id')
    expect(select.reader).toBe(true)
    expect([...select.iterate([1])]).toEqual([
      { id: 1, v: 'c' },
      { id: 2, v: 'c' },
    ])
    // A prepared statement is reused with new parameters.
    expect(select.all([2])).toEqual([{ id: 2, v: 'c' }])
  })

  it('returns rows as arrays in select order once switched to raw', async () => {
    const db = await open()
    db.prepare('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)').run([])
    db.prepare('INSERT INTO t (v) VALUES (?), (?)').run(['a', null])
    const select = db.prepare('SELECT v, id FROM t ORDER BY id')
    select.raw?.(true)
    expect(select.all([])).toEqual([
      ['a', 1],
      [null, 2],
    ])
  })

  it('rolls back a failed transaction and keeps working', async () => {
    const db = await open()
    db.prepare('CREATE TABLE t (id INTEGER PRIMARY KEY)').run([])
    db.prepare('BEGIN').run([])
    db.prepare('INSERT INTO t VALUES (1)').run([])
    expect(() => db.prepare('INSERT INTO t VALUES (1)').run([])).toThrow(/UNIQUE/)
    db.prepare('ROLLBACK').run([])
    expect(db.prepare('SELECT count(*) AS n FROM t').all([])).toEqual([{ n: 0 }])
  })

  it('refuses malformed SQL and more than one statement', async () => {
    const db = await open()
    expect(() => db.prepare('SELEC 1')).toThrow()
    expect(() => db.prepare('SELECT 1; SELECT 2')).toThrow()
  })
})

describe('WaSqliteDatabase', () => {
  it('throws TidingsErrors with SQLite’s message', async () => {
    const db = await openWa()
    let error: unknown = null
    try {
      db.prepare('SELECT * FROM missing')
    } catch (caught) {
      error = caught
    }
    expect(isTidingsError(error, 'internal')).toBe(true)
    expect((error as Error).message).toContain('no such table: missing')
  })

  it('runs the client core unchanged', async () => {
    const client = await openClient({ schema: librarySchema, database: await openWa() })
    const doc = await client.create('document', { author: 'Ada', title: 'Notes' })
    await client.update('document', doc.id, { url: 'https://a.test' })
    expect(await client.fetch('document', { where: { author: 'Ada' } })).toEqual([
      { ...doc, url: 'https://a.test' },
    ])
    await client.rebuild()
    expect(await client.get('document', doc.id)).toEqual({ ...doc, url: 'https://a.test' })
    await client.close()
  })

  it('refuses statements once closed', async () => {
    const db = await openWa()
    const select = db.prepare('SELECT 1 AS x')
    db.close()
    expect(() => db.prepare('SELECT 1')).toThrow(/closed/)
    expect(() => select.all([])).toThrow(/finalized/)
  })
})
