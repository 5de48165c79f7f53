import type { JsonValue } from '@tidings/protocol'
import { type Kysely, sql } from 'kysely'
import { quote, type StatementCache } from '../driver/sqlite.js'
import type { Kind } from '../schema/attr.js'
import { toColumn } from '../schema/codec.js'
import type { Schema } from '../schema/define.js'
import { GET_STATE, SET_STATE } from './sql.js'

/** The typed table of an entity type: `t_<type>`, one real column per attribute. */
export const tableName = (type: string): string => `t_${type}`

const MATERIALIZED = 'materialized'
/** Typed rows per multi-row upsert (a created document of 4 attributes: 5 parameters each). */
const ROW_BLOCK = 64

/**
 * Keeps one table per schema type in step with the LWW registers, so `fetch` is indexed SQL.
 * Registers of types or attributes the schema does not know are kept and materialize when a
 * later app version declares them (back-filled at open).
 */
export class TypedTables {
  private readonly upserts = new Map<string, { sql: string; kind: Kind }>()
  /** Each type's column kinds, by attribute (the hot path looks up without building a key). */
  private readonly kinds = new Map<string, Map<string, Kind>>()
  private readonly rowUpserts = new Map<string, string>()

  constructor(
    private readonly sql: StatementCache,
    private readonly schema: Schema,
  ) {
    for (const type of Object.keys(schema.types)) {
      this.kinds.set(type, new Map(this.columns(type)))
      for (const [attribute, kind] of this.columns(type)) {
        const table = quote(tableName(type))
        const col = quote(attribute)
        this.upserts.set(`${type}.${attribute}`, {
          kind,
          sql: `INSERT INTO ${table} (id, ${col}) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET ${col} = excluded.${col}`,
        })
      }
    }
  }

  /**
   * Creates missing tables, columns and indexes (DDL compiled by Kysely), then back-fills every
   * column the previous open did not maintain. Runs inside the caller's transaction.
   */
  evolve(kysely: Kysely<unknown>): void {
    const before = JSON.parse(
      this.sql.one<{ value: string }>(GET_STATE, [MATERIALIZED])?.value ?? '{}',
    ) as Record<string, string>
    const now: Record<string, string> = {}
    for (const type of Object.keys(this.schema.types)) {
      const table = tableName(type)
      const existing = new Set(
        this.sql.all<{ name: string }>(`PRAGMA table_info(${quote(table)})`).map((c) => c.name),
      )
      if (existing.size === 0) {
        // A new table gets every column at once: one DDL statement instead of one per column.
        // WITHOUT ROWID: the rows live in the id index itself, so a write touches one b-tree
        // less and a fetch in id order (every fetch ends with it) is a plain scan, not an index
        // walk with a lookup per row. (Tables made before stay as they are; both work.)
        let create = kysely.schema
          .createTable(table)
          .modifyEnd(sql`without rowid`)
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
        for (const [attribute, kind] of this.columns(type)) {
          if (attribute !== 'deleted') create = create.addColumn(attribute, sqlType(kind))
        }
        this.ddl(create.compile().sql)
      }
      for (const [attribute, kind] of this.columns(type)) {
        if (existing.size > 0 && !existing.has(attribute))
          this.ddl(
            kysely.schema.alterTable(table).addColumn(attribute, sqlType(kind)).compile().sql,
          )
        const key = `${type}.${attribute}`
        now[key] = kind
        if (before[key] !== kind) this.backfill(type, attribute)
      }
      for (const [attribute, attr] of Object.entries(this.schema.shape(type))) {
        if (!attr.spec.indexed) continue
        this.ddl(
          kysely.schema
            .createIndex(`${table}_${attribute}`)
            .ifNotExists()
            .on(table)
            .column(attribute)
            .compile().sql,
        )
      }
    }
    this.sql.run(SET_STATE, [MATERIALIZED, JSON.stringify(now)])
  }

  /** Writes a register's new winning value into the typed row; false when the schema lacks it. */
  materialize(type: string, entity: string, attribute: string, value: JsonValue): boolean {
    const upsert = this.upserts.get(`${type}.${attribute}`)
    if (!upsert) return false
    this.sql.run(upsert.sql, [entity, column(attribute, upsert.kind, value)])
    return true
  }

  /**
   * Writes the new winning values of each entity into its typed row (`values`: each
   * attribute's latest winner), adding each type that moved to `types`. One row is one upsert,
   * and rows of one type with the same columns (every entity a transaction created) share
   * multi-row statements of `ROW_BLOCK` entities. Entity ids are unique among `rows`, so their
   * order does not matter. Attributes the schema lacks stay in the registers only.
   */
  materializeRows(
    rows: Iterable<{ type: string; entity: string; values: ReadonlyMap<string, JsonValue> }>,
    types: Set<string>,
  ): void {
    // Rows of one shape, their parameters flat (`count` rows of `1 + cols.length` each).
    const groups = new Map<
      string,
      { type: string; cols: string[]; params: unknown[]; count: number }
    >()
    for (const { type, entity, values } of rows) {
      const kinds = this.kinds.get(type)
      if (!kinds) continue
      const cols: string[] = []
      const params: unknown[] = [entity]
      for (const [attribute, value] of values) {
        const kind = kinds.get(attribute)
        if (kind === undefined) continue
        cols.push(attribute)
        params.push(column(attribute, kind, value))
      }
      if (cols.length === 0) continue
      const key = `${type}(${cols.join(',')})`
      let group = groups.get(key)
      if (!group) {
        group = { type, cols, params: [], count: 0 }
        groups.set(key, group)
      }
      for (const p of params) group.params.push(p)
      group.count += 1
    }
    for (const group of groups.values()) {
      types.add(group.type)
      const { params, count } = group
      const width = group.cols.length + 1
      let i = 0
      if (count >= ROW_BLOCK) {
        const sql = this.rowUpsert(group.type, group.cols, ROW_BLOCK)
        for (; i + ROW_BLOCK <= count; i += ROW_BLOCK)
          this.sql.run(sql, params.slice(i * width, (i + ROW_BLOCK) * width))
      }
      if (i < count) {
        const sql = this.rowUpsert(group.type, group.cols, 1)
        for (; i < count; i++) this.sql.run(sql, params.slice(i * width, (i + 1) * width))
      }
    }
  }

  /** The upsert of `count` typed rows setting `cols`, built once per shape. */
  private rowUpsert(type: string, cols: readonly string[], count: number): string {
    const key = `${type}(${cols.join(',')})*${count}`
    let sql = this.rowUpserts.get(key)
    if (!sql) {
      const quoted = cols.map(quote)
      const row = `(?${', ?'.repeat(cols.length)})`
      sql = `INSERT INTO ${quote(tableName(type))} (id, ${quoted.join(', ')}) VALUES ${Array(count).fill(row).join(', ')} ON CONFLICT (id) DO UPDATE SET ${quoted.map((c) => `${c} = excluded.${c}`).join(', ')}`
      this.rowUpserts.set(key, sql)
    }
    return sql
  }

  /** Empties every typed table (for `rebuild`). */
  clear(): void {
    for (const type of Object.keys(this.schema.types))
      this.sql.run(`DELETE FROM ${quote(tableName(type))}`)
  }

  /** Fills one column from the registers. */
  backfill(type: string, attribute: string): void {
    const rows = this.sql.all<{ entity: string; value: string }>(
      'SELECT entity, value FROM attributes WHERE type = ? AND attribute = ?',
      [type, attribute],
    )
    for (const row of rows)
      this.materialize(type, row.entity, attribute, JSON.parse(row.value) as JsonValue)
  }

  /** `[attribute, kind]` of every column this client maintains for `type`, `deleted` included. */
  columns(type: string): Array<[string, Kind]> {
    const cols: Array<[string, Kind]> = [['deleted', 'boolean']]
    for (const [attribute, attr] of Object.entries(this.schema.shape(type)))
      cols.push([attribute, attr.kind])
    return cols
  }

  private ddl(text: string): void {
    this.sql.exec(text)
  }
}

/** The tombstone column is NOT NULL: anything but `true` (even a malformed value) means alive. */
const column = (attribute: string, kind: Kind, value: JsonValue): unknown =>
  attribute === 'deleted' ? (value === true ? 1 : 0) : toColumn(kind, value)

const sqlType = (kind: Kind) =>
  kind === 'number' ? 'real' : kind === 'boolean' ? 'integer' : 'text'
