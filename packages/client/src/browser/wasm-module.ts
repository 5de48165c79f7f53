/**
 * The few C entry points of wa-sqlite's synchronous Emscripten build that the adapter calls
 * directly. wa-sqlite's own JS API wraps `step`/`prepare` in Promises (to retry VFS calls that
 * need async work); the client core is synchronous, so once a database is open and its OPFS
 * handles are held, statements run through these plain synchronous calls instead.
 */
export interface WasmModule {
  HEAPU8: Uint8Array
  getTempRet0(): number
  getValue(ptr: number, type: '*' | 'i32'): number
  _malloc(size: number): number
  _free(ptr: number): void
  _sqlite3_malloc(size: number): number
  _sqlite3_free(ptr: number): void
  cwrap(name: string, returns: 'number' | 'string' | null, args: string[]): SqliteFn
}

// biome-ignore lint/suspicious/noExplicitAny: Emscripten wrappers take and return C primitives.
type SqliteFn = (...args: any[]) => any

/**
 * Result codes and column types the adapter branches on (sqlite3.h). Kept in objects with
 * names unlike wa-sqlite's own `SQLITE_*` exports: Vite 8's bundler mixed the two up.
 */
export const RC = { ok: 0, busy: 5, row: 100, done: 101 } as const
export const COLUMN = { integer: 1, float: 2, text: 3, blob: 4, null: 5 } as const
/** Destructor value telling SQLite to copy bound text/blobs before the call returns. */
export const TRANSIENT = -1

/** Typed handles on the C functions, bound once per module. */
export function bindSqlite(module: WasmModule) {
  const n = 'number'
  const fn = (name: string, returns: 'number' | 'string', args: number) =>
    module.cwrap(
      name,
      returns,
      Array.from({ length: args }, () => n),
    )
  return {
    prepare: fn('sqlite3_prepare_v2', n, 5),
    step: fn('sqlite3_step', n, 1),
    reset: fn('sqlite3_reset', n, 1),
    finalize: fn('sqlite3_finalize', n, 1),
    clearBindings: fn('sqlite3_clear_bindings', n, 1),
    bindCount: fn('sqlite3_bind_parameter_count', n, 1),
    bindNull: fn('sqlite3_bind_null', n, 2),
    bindDouble: fn('sqlite3_bind_double', n, 3),
    bindInt64: fn('sqlite3_bind_int64', n, 4),
    bindText: fn('sqlite3_bind_text', n, 5),
    bindBlob: fn('sqlite3_bind_blob', n, 5),
    columnCount: fn('sqlite3_column_count', n, 1),
    columnName: fn('sqlite3_column_name', 'string', 2),
    columnType: fn('sqlite3_column_type', n, 2),
    columnDouble: fn('sqlite3_column_double', n, 2),
    columnInt64: fn('sqlite3_column_int64', n, 2),
    columnText: fn('sqlite3_column_text', 'string', 2),
    columnBlob: fn('sqlite3_column_blob', n, 2),
    columnBytes: fn('sqlite3_column_bytes', n, 2),
    changes: fn('sqlite3_changes', n, 1),
    lastInsertRowid: fn('sqlite3_last_insert_rowid', n, 1),
    errmsg: fn('sqlite3_errmsg', 'string', 1),
    closeV2: fn('sqlite3_close_v2', n, 1),
  } as const satisfies Record<string, SqliteFn>
}

export type SqliteC = ReturnType<typeof bindSqlite>
