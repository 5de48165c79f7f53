import { TidingsError } from '@tidings/protocol'
import type { SqliteDatabase, SqliteStatement } from '../driver/sqlite.js'
import { COLUMN, RC, type SqliteC, TRANSIENT, type WasmModule } from './wasm-module.js'

/** One statement handle; `finalized` is shared with the finalization registry. */
interface Handle {
  ptr: number
  finalized: boolean
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER)

/**
 * The client's `SqliteDatabase` over an open wa-sqlite connection, synchronous like
 * better-sqlite3 (values bind and read back the same way: numbers as REAL/INTEGER as number,
 * bigint as INTEGER, strings, Uint8Array blobs, null). Statements are finalized when garbage
 * collected, as in better-sqlite3, and all at `close()`.
 */
export class WaSqliteDatabase implements SqliteDatabase {
  readonly #handles = new Set<Handle>()
  readonly #registry = new FinalizationRegistry<Handle>((handle) => this.#finalize(handle))
  #open = true

  constructor(
    readonly module: WasmModule,
    readonly c: SqliteC,
    readonly db: number,
    private readonly hooks: { beforeClose?: () => void; afterClose?: () => void } = {},
  ) {}

  prepare(sql: string): SqliteStatement {
    this.#assertOpen()
    const m = this.module
    const bytes = new TextEncoder().encode(sql)
    const text = m._malloc(bytes.byteLength + 1)
    const out = m._malloc(8)
    try {
      m.HEAPU8.set(bytes, text)
      m.HEAPU8[text + bytes.byteLength] = 0
      const rc = this.c.prepare(this.db, text, bytes.byteLength + 1, out, out + 4)
      this.check(rc, 'prepare')
      const ptr = m.getValue(out, '*')
      const tail = m.getValue(out + 4, '*') - text
      if (ptr === 0) throw new TidingsError('internal', 'SQL contains no statement')
      if (new TextDecoder().decode(bytes.subarray(tail)).trim() !== '') {
        this.c.finalize(ptr)
        throw new TidingsError('internal', 'SQL contains more than one statement')
      }
      const handle: Handle = { ptr, finalized: false }
      this.#handles.add(handle)
      const statement = new WaSqliteStatement(this, handle, this.c.columnCount(ptr) > 0)
      this.#registry.register(statement, handle, handle)
      return statement
    } finally {
      m._free(text)
      m._free(out)
    }
  }

  close(): void {
    if (!this.#open) return
    this.hooks.beforeClose?.()
    for (const handle of this.#handles) this.#finalize(handle)
    this.#open = false
    this.check(this.c.closeV2(this.db), 'close')
    this.hooks.afterClose?.()
  }

  get isOpen(): boolean {
    return this.#open
  }

  /** Turns a SQLite result code into a thrown TidingsError (with SQLite's message). */
  check(rc: number, what: string): void {
    if (rc === RC.ok) return
    const message = `SQLite ${what} failed (${rc}): ${this.c.errmsg(this.db)}`
    // BUSY means the OPFS handles went to another connection; the worker's Web Lock should
    // prevent that, so it is reported as a retryable outage rather than a bug.
    throw new TidingsError(rc === RC.busy ? 'unavailable' : 'internal', message, {
      details: { sqlite: rc },
    })
  }

  #assertOpen(): void {
    if (!this.#open) throw new TidingsError('unavailable', 'the database is closed')
  }

  #finalize(handle: Handle): void {
    if (handle.finalized || !this.#open) return
    handle.finalized = true
    this.#handles.delete(handle)
    this.#registry.unregister(handle)
    this.c.finalize(handle.ptr)
  }
}

class WaSqliteStatement implements SqliteStatement {
  #raw = false

  constructor(
    private readonly owner: WaSqliteDatabase,
    private readonly handle: Handle,
    readonly reader: boolean,
  ) {}

  all(params: ReadonlyArray<unknown>): unknown[] {
    return [...this.iterate(params)]
  }

  /** Rows as arrays of column values in select order from now on, as better-sqlite3's `raw`. */
  raw(toggle = true): this {
    this.#raw = toggle
    return this
  }

  run(params: ReadonlyArray<unknown>): {
    changes: number | bigint
    lastInsertRowid: number | bigint
  } {
    const { c, db } = this.owner
    this.#start(params)
    try {
      while (this.#step() === RC.row) {
        // A writing statement with RETURNING still runs to completion.
      }
    } finally {
      c.reset(this.handle.ptr)
    }
    const lo = c.lastInsertRowid(db)
    return { changes: c.changes(db), lastInsertRowid: this.#int64(lo) }
  }

  *iterate(params: ReadonlyArray<unknown>): IterableIterator<unknown> {
    this.#start(params)
    const { c } = this.owner
    const ptr = this.handle.ptr
    try {
      const count = c.columnCount(ptr)
      const names = Array.from({ length: count }, (_, i) => c.columnName(ptr, i) as string)
      while (this.#step() === RC.row) {
        if (this.#raw) {
          const values = new Array<unknown>(count)
          for (let i = 0; i < count; i++) values[i] = this.#column(i)
          yield values
          continue
        }
        const row: Record<string, unknown> = {}
        for (let i = 0; i < count; i++) row[names[i]!] = this.#column(i)
        yield row
      }
    } finally {
      c.reset(ptr)
    }
  }

  #start(params: ReadonlyArray<unknown>): void {
    if (this.handle.finalized) throw new TidingsError('internal', 'statement was finalized')
    const { c } = this.owner
    const ptr = this.handle.ptr
    c.reset(ptr)
    c.clearBindings(ptr)
    const expected = c.bindCount(ptr)
    if (params.length !== expected) {
      throw new TidingsError(
        'internal',
        `statement expects ${expected} parameters, got ${params.length}`,
      )
    }
    for (const [i, value] of params.entries()) this.owner.check(this.#bind(i + 1, value), 'bind')
  }

  #bind(index: number, value: unknown): number {
    const { c, module: m } = this.owner
    const ptr = this.handle.ptr
    if (value === null || value === undefined) return c.bindNull(ptr, index)
    if (typeof value === 'number') return c.bindDouble(ptr, index, value)
    if (typeof value === 'boolean') return c.bindDouble(ptr, index, value ? 1 : 0)
    if (typeof value === 'bigint') {
      return c.bindInt64(ptr, index, Number(value & 0xffffffffn), Number(value >> 32n))
    }
    const bytes =
      typeof value === 'string'
        ? new TextEncoder().encode(value)
        : value instanceof Uint8Array
          ? value
          : null
    if (bytes === null) {
      throw new TidingsError(
        'internal',
        `cannot bind a ${typeof value} to SQLite parameter ${index}`,
      )
    }
    const mem = m._sqlite3_malloc(Math.max(bytes.byteLength, 1))
    try {
      m.HEAPU8.set(bytes, mem)
      return typeof value === 'string'
        ? c.bindText(ptr, index, mem, bytes.byteLength, TRANSIENT)
        : c.bindBlob(ptr, index, mem, bytes.byteLength, TRANSIENT)
    } finally {
      m._sqlite3_free(mem)
    }
  }

  #step(): number {
    const rc = this.owner.c.step(this.handle.ptr)
    if (rc === RC.row || rc === RC.done) return rc
    this.owner.check(rc, 'step')
    return rc
  }

  #column(i: number): unknown {
    const { c, module: m } = this.owner
    const ptr = this.handle.ptr
    switch (c.columnType(ptr, i)) {
      case COLUMN.integer:
        return this.#int64(c.columnInt64(ptr, i))
      case COLUMN.float:
        return c.columnDouble(ptr, i)
      case COLUMN.text:
        return c.columnText(ptr, i)
      case COLUMN.blob: {
        const at = c.columnBlob(ptr, i)
        return m.HEAPU8.slice(at, at + c.columnBytes(ptr, i))
      }
      case COLUMN.null:
        return null
      default:
        throw new TidingsError('internal', 'SQLite returned an unknown column type')
    }
  }

  /** Joins a legalized 64-bit result (low word returned, high word in tempRet0). */
  #int64(lo: number): number | bigint {
    const hi = this.owner.module.getTempRet0()
    const value = (BigInt(hi) << 32n) | (BigInt(lo) & 0xffffffffn)
    return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value
  }
}
