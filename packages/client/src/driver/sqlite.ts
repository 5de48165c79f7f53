/**
 * What the client needs of a SQLite driver: exactly Kysely's `SqliteDatabase`, so Kysely's
 * built-in `SqliteDialect` runs on it, a better-sqlite3 `Database` satisfies it as is, and the
 * browser adapts wa-sqlite's synchronous build to it. No Node import may reach this folder.
 */
export interface SqliteStatement {
  readonly reader: boolean
  all(params: ReadonlyArray<unknown>): unknown[]
  run(params: ReadonlyArray<unknown>): {
    changes: number | bigint
    lastInsertRowid: number | bigint
  }
  iterate(params: ReadonlyArray<unknown>): IterableIterator<unknown>
  /**
   * Switches the statement to rows as arrays of column values, in select order (better-sqlite3's
   * `raw`). Optional: a driver without it has its keyed rows turned into arrays instead.
   */
  raw?(toggle?: boolean): unknown
}

export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement
  close(): void
}

/** A row as the driver returns it: column name to SQLite value. */
export type SqlRow = Record<string, unknown>

/**
 * Statements prepared once and reused: the hot paths (local write, remote apply) run only on
 * these, never on a query built per call. Bounded so ad-hoc fetch shapes cannot grow it forever.
 */
export class StatementCache {
  private readonly cache = new Map<string, SqliteStatement>()
  /** Statements switched to positional rows, apart: a keyed reader of the same SQL stays keyed. */
  private readonly rawCache = new Map<string, SqliteStatement>()

  constructor(
    private readonly db: SqliteDatabase,
    private readonly max = 500,
  ) {}

  get(sql: string): SqliteStatement {
    let stmt = this.cache.get(sql)
    if (stmt) return stmt
    stmt = this.db.prepare(sql)
    remember(this.cache, this.max, sql, stmt)
    return stmt
  }

  close(): void {
    this.cache.clear()
    this.rawCache.clear()
    this.db.close()
  }

  /** Runs a one-off statement (DDL, pragmas) without caching it. */
  exec(sql: string): void {
    this.db.prepare(sql).run([])
  }

  run(sql: string, params: ReadonlyArray<unknown> = []): number {
    return Number(this.get(sql).run(params).changes)
  }

  all<R = SqlRow>(sql: string, params: ReadonlyArray<unknown> = []): R[] {
    return this.get(sql).all(params) as R[]
  }

  /**
   * Rows as arrays of column values in select order: a big fetch then builds no keyed object
   * per row that the caller would only take apart again.
   */
  rows(sql: string, params: ReadonlyArray<unknown> = []): unknown[][] {
    let stmt = this.rawCache.get(sql)
    if (stmt) {
      // Least recently used goes first: fetch shapes are ad hoc, the hot ones must stay.
      this.rawCache.delete(sql)
      this.rawCache.set(sql, stmt)
    } else {
      stmt = this.db.prepare(sql)
      stmt.raw?.(true)
      remember(this.rawCache, this.max, sql, stmt)
    }
    const rows = stmt.all(params)
    if (stmt.raw) return rows as unknown[][]
    // Column names are identifiers (never integer-like), so values keep the select order.
    for (let i = 0; i < rows.length; i++) rows[i] = Object.values(rows[i] as SqlRow)
    return rows as unknown[][]
  }

  one<R = SqlRow>(sql: string, params: ReadonlyArray<unknown> = []): R | undefined {
    return this.all<R>(sql, params)[0]
  }

  /**
   * Runs `fn` inside one SQLite transaction (BEGIN IMMEDIATE … COMMIT), rolling back on any
   * throw. `fn` is synchronous on purpose: nothing else can interleave on the connection.
   */
  transaction<T>(fn: () => T): T {
    this.run('BEGIN IMMEDIATE')
    try {
      const result = fn()
      this.run('COMMIT')
      return result
    } catch (error) {
      this.run('ROLLBACK')
      throw error
    }
  }
}

/** Adds a statement to a bounded cache, dropping the entry that comes first when full. */
const remember = (
  cache: Map<string, SqliteStatement>,
  max: number,
  sql: string,
  stmt: SqliteStatement,
): void => {
  if (cache.size >= max) {
    const first = cache.keys().next().value
    if (first !== undefined) cache.delete(first)
  }
  cache.set(sql, stmt)
}

/** Quotes an identifier for SQL; names are already checked to be identifiers. */
export const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`
