import type { JsonValue } from '@tidings/protocol'
import { type Kysely, sql } from 'kysely'
import { quote, type StatementCache } from '../driver/sqlite.js'
import type { AnyAttr, Kind } from '../schema/attr.js'
import type { Schema } from '../schema/define.js'
import { dropColumn, retypeColumn } from './column-ddl.js'
import { Projection, type WinnerRow } from './projection.js'
import { namesOf, winnersAmong } from './renames.js'
import { GET_STATE, REGISTERS, SET_STATE } from './sql.js'

/** The typed table of an entity type: `t_<type>`, one real column per attribute. */
export const tableName = (type: string): string => `t_${type}`

const MATERIALIZED = 'materialized'
/**
 * The typed tables' column holding the entity's space: NULL for the private space, else the
 * shared space's id (`space` is a reserved attribute name). Not a register: it is fixed when the
 * entity is created (DESIGN §8) and set from `entity_spaces`.
 */
export const SPACE = 'space'
/** Typed rows per multi-row upsert (a created document of 4 attributes: 5 parameters each). */
const ROW_BLOCK = 64

/**
 * Keeps one table per schema type in step with the LWW registers, so `fetch` is indexed SQL.
 * Registers of types or attributes the schema does not know are kept and materialize when a
 * later app version declares them (back-filled at open). Values are read into columns by this
 * app version's `Projection` (conversions, renames, unreadable values).
 */
export class TypedTables {
  private readonly upserts = new Map<string, { sql: string; attr: AnyAttr | null }>()
  /**
   * Each type's columns, by attribute, with the attribute that reads them (null: `deleted`);
   * the hot path looks up without building a key.
   */
  private readonly attrs = new Map<string, Map<string, AnyAttr | null>>()
  private readonly rowUpserts = new Map<string, string>()
  readonly projection: Projection

  constructor(
    private readonly sql: StatementCache,
    private readonly schema: Schema,
  ) {
    this.projection = new Projection(sql, schema)
    for (const type of Object.keys(schema.types)) {
      const shape = schema.shape(type)
      const attrs = new Map<string, AnyAttr | null>()
      this.attrs.set(type, attrs)
      for (const [attribute] of this.columns(type)) {
        const attr = attribute === 'deleted' ? null : (shape[attribute] as AnyAttr)
        attrs.set(attribute, attr)
        const table = quote(tableName(type))
        const col = quote(attribute)
        this.upserts.set(`${type}.${attribute}`, {
          attr,
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
      const existing = new Map(
        this.sql
          .all<{ name: string; type: string }>(`PRAGMA table_info(${quote(table)})`)
          .map((c) => [c.name, c.type.toLowerCase()]),
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
          .addColumn(SPACE, 'text')
        for (const [attribute, kind] of this.columns(type)) {
          if (attribute !== 'deleted') create = create.addColumn(attribute, sqlType(kind))
        }
        this.ddl(create.compile().sql)
      }
      // Columns of attributes this version no longer declares (renamed, removed) go.
      const declared = new Set([...this.columns(type).map(([a]) => a), 'id', SPACE])
      for (const column of existing.keys())
        if (!declared.has(column)) dropColumn(this.sql, table, column)
      // Tables made before spaces get the column; their rows are all private (NULL) so far.
      if (existing.size > 0 && !existing.has(SPACE))
        this.ddl(kysely.schema.alterTable(table).addColumn(SPACE, 'text').compile().sql)
      let filled = false
      for (const [attribute, kind] of this.columns(type)) {
        const had = existing.get(attribute)
        if (existing.size > 0 && had === undefined)
          this.ddl(
            kysely.schema.alterTable(table).addColumn(attribute, sqlType(kind)).compile().sql,
          )
        else if (had !== undefined && had !== sqlType(kind) && attribute !== 'deleted')
          retypeColumn(this.sql, table, attribute, sqlType(kind))
        const key = `${type}.${attribute}`
        // What the column's projection depends on: a change (another kind, version, name or
        // conversion) projects it again from the registers.
        const projection = this.projection.signature(type, attribute, kind)
        now[key] = projection
        if (before[key] !== projection) {
          this.backfill(type, attribute)
          filled = true
        }
      }
      // Rows made by a back-fill take their entity's space (see `fillSpaces`).
      if (filled) this.fillSpaces(type)
      this.createIndexes(kysely, type)
    }
    this.projection.unreadable.keepOnly(
      new Map(
        Object.keys(this.schema.types).map((type) => [
          type,
          new Set(Object.keys(this.schema.shape(type))),
        ]),
      ),
    )
    this.sql.run(SET_STATE, [MATERIALIZED, JSON.stringify(now)])
  }

  /**
   * Creates the secondary indexes of `type`'s table (its `space` column, indexed attributes,
   * the schema's composite indexes) that are missing. Called by `evolve` and at the end of a
   * bulk load (see bulk-load.ts), which drops them while a new device pulls its first pages.
   */
  createIndexes(kysely: Kysely<unknown>, type: string): void {
    const table = tableName(type)
    this.ddl(
      kysely.schema.createIndex(`${table}_${SPACE}`).ifNotExists().on(table).column(SPACE).compile()
        .sql,
    )
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
    for (const columns of this.schema.indexes(type))
      this.ddl(
        kysely.schema
          .createIndex(`${table}_${columns.join('_')}`)
          .ifNotExists()
          .on(table)
          .columns([...columns])
          .compile().sql,
      )
  }

  /** Writes a register's new winning value into the typed row; false when the schema lacks it. */
  materialize(type: string, entity: string, attribute: string, value: JsonValue): boolean {
    const upsert = this.upserts.get(`${type}.${attribute}`)
    if (!upsert) return false
    this.sql.run(upsert.sql, [
      entity,
      this.projection.cell(type, entity, attribute, upsert.attr, value),
    ])
    return true
  }

  /**
   * Writes the new winning values of each entity of `type` into its typed row (`pairs`: each
   * attribute's latest winner, as attribute, value, attribute, value, …), adding `type` to
   * `types` when a row moved. One row is one upsert, and rows with the same columns (every
   * entity a transaction created) share multi-row statements of `ROW_BLOCK` entities. Entity
   * ids are unique among `rows`, so their order does not matter. Attributes the schema lacks
   * stay in the registers only.
   */
  materializeRows(type: string, rows: Iterable<WinnerRow>, types: Set<string>): void {
    const kinds = this.attrs.get(type)
    if (!kinds) return
    const projected = this.projection.renamed(type, rows)
    // Rows of one shape (the columns they set, in order), found by walking a tree keyed by
    // column, so no key is built per row; each shape's parameters flat, `1 + cols` per row.
    const root: ShapeNode = { next: new Map() }
    const groups: RowGroup[] = []
    for (const { entity, pairs } of projected) {
      let node = root
      for (let i = 0; i < pairs.length; i += 2) {
        const attribute = pairs[i] as string
        if (!kinds.has(attribute)) continue
        let child = node.next.get(attribute)
        if (!child) {
          child = { next: new Map() }
          node.next.set(attribute, child)
        }
        node = child
      }
      if (node === root) continue
      let group = node.group
      if (!group) {
        const cols: string[] = []
        for (let i = 0; i < pairs.length; i += 2)
          if (kinds.has(pairs[i] as string)) cols.push(pairs[i] as string)
        group = { cols, params: [], count: 0 }
        node.group = group
        groups.push(group)
      }
      const params = group.params
      params.push(entity)
      for (let i = 0; i < pairs.length; i += 2) {
        const attribute = pairs[i] as string
        const attr = kinds.get(attribute)
        if (attr !== undefined)
          params.push(
            this.projection.cell(type, entity, attribute, attr, pairs[i + 1] as JsonValue),
          )
      }
      group.count += 1
    }
    for (const group of groups) {
      types.add(type)
      const { params, count } = group
      const width = group.cols.length + 1
      // Blocks of `ROW_BLOCK`, the rest in blocks of powers of two (a pulled bundle of 1,000
      // events creates 250 rows: 3 blocks and 58 single-row statements otherwise).
      for (let i = 0; i < count; ) {
        let size = ROW_BLOCK
        while (size > count - i) size >>= 1
        this.sql.run(
          this.rowUpsert(type, group.cols, size),
          params.slice(i * width, (i + size) * width),
        )
        i += size
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

  /** Empties every typed table and the unreadable list (for `rebuild`). */
  clear(): void {
    for (const type of Object.keys(this.schema.types))
      this.sql.run(`DELETE FROM ${quote(tableName(type))}`)
    this.projection.unreadable.clear()
  }

  /**
   * Sets the `space` column of `type`'s rows from `entity_spaces` (after a rebuild or a
   * back-fill made rows anew: the column is not a register, it is the entity's space).
   */
  fillSpaces(type: string): void {
    this.sql.run(
      `UPDATE ${quote(tableName(type))} SET ${SPACE} = s.space FROM entity_spaces s WHERE s.entity = ${quote(tableName(type))}.id`,
    )
  }

  /** Fills one column from the registers (of all its names, when it was renamed). */
  backfill(type: string, attribute: string): void {
    const names = attribute === 'deleted' ? [attribute] : namesOf(this.schema, type, attribute)
    const rows =
      names.length > 1
        ? winnersAmong(this.sql, type, names)
        : this.sql.all<{ entity: string; value: string }>(
            `SELECT entity, value FROM (${REGISTERS}) WHERE type = ? AND attribute = ?`,
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

/** Typed rows of one shape: the columns they set and their parameters, flat. */
interface RowGroup {
  cols: string[]
  params: unknown[]
  count: number
}

interface ShapeNode {
  next: Map<string, ShapeNode>
  group?: RowGroup
}

const sqlType = (kind: Kind) =>
  kind === 'number' ? 'real' : kind === 'boolean' ? 'integer' : 'text'
