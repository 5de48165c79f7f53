import type { Family } from '../store/dialects/family.js'
import { type EntityRow, type Register, typedCell } from './entity-row.js'
import type { Kind, ReadModelSchema } from './schema-file.js'
import { type AnyDb, chunked, ident, placeholders, run } from './sql.js'

/**
 * One table per type of the app's schema, with a real column per attribute and the schema's
 * indexes, so a backend queries `where author = 'Ada'` as plain indexed SQL. Postgres: schema
 * `tidings_app`, table named as the type. SQLite has no schemas: `tidings_app_<type>`.
 * Columns: `space`, `id`, `deleted`, then the attributes; primary key `(space, id)`.
 */
export const APP_SCHEMA = 'tidings_app'

const META_KEY = 'typed_schema'

export const typedTable = (family: Family, type: string): string =>
  family === 'postgres' ? `${APP_SCHEMA}.${ident(type)}` : ident(`${APP_SCHEMA}_${type}`)

const columnType = (family: Family, kind: Kind): string => {
  if (family === 'postgres')
    return {
      string: 'text',
      ref: 'text collate "C"',
      number: 'double precision',
      boolean: 'boolean',
      date: 'timestamptz',
      json: 'json',
    }[kind]
  return {
    string: 'text',
    ref: 'text',
    number: 'real',
    boolean: 'integer',
    date: 'text',
    json: 'text',
  }[kind]
}

export class TypedTables {
  constructor(
    private readonly family: Family,
    readonly schema: ReadModelSchema,
  ) {}

  has(type: string): boolean {
    return Object.hasOwn(this.schema.types, type)
  }

  /** What the tables are made from: another schema makes them again. */
  private signature(): string {
    return JSON.stringify({
      family: this.family,
      types: this.schema.types,
      indexes: this.schema.indexes,
    })
  }

  /**
   * Makes the tables when the schema differs from the one they were made from (dropping the
   * old ones) and fills them from the registers. Answers whether it made them.
   */
  async ensure(db: AnyDb): Promise<boolean> {
    const sig = this.signature()
    const [stored] = await run<{ value: string }>(
      db,
      this.family,
      'SELECT value FROM read_model_meta WHERE key = ?',
      [META_KEY],
    )
    if (stored?.value === sig) return false
    await db.transaction().execute(async (trx) => {
      if (stored) {
        const before = JSON.parse(stored.value) as { types: Record<string, unknown> }
        for (const type of Object.keys(before.types))
          await run(trx, this.family, `DROP TABLE IF EXISTS ${typedTable(this.family, type)}`)
      }
      if (this.family === 'postgres')
        await run(trx, this.family, `CREATE SCHEMA IF NOT EXISTS ${APP_SCHEMA}`)
      for (const [type, attrs] of Object.entries(this.schema.types)) {
        const table = typedTable(this.family, type)
        const text = this.family === 'postgres' ? 'text collate "C"' : 'text'
        const bool = this.family === 'postgres' ? 'boolean' : 'integer'
        const columns = Object.entries(attrs).map(
          ([name, spec]) => `${ident(name)} ${columnType(this.family, spec.kind)}`,
        )
        await run(trx, this.family, `DROP TABLE IF EXISTS ${table}`)
        await run(
          trx,
          this.family,
          `CREATE TABLE ${table} (space ${text} NOT NULL, id ${text} NOT NULL, deleted ${bool} NOT NULL${columns.map((c) => `, ${c}`).join('')}, PRIMARY KEY (space, id))`,
        )
        const indexName = (cols: readonly string[]) =>
          ident(`${APP_SCHEMA}_${type}_${cols.join('_')}`)
        const lists = [
          ...Object.entries(attrs)
            .filter(([, spec]) => spec.indexed)
            .map(([name]) => [name]),
          ...(this.schema.indexes[type] ?? []),
        ]
        for (const cols of lists)
          await run(
            trx,
            this.family,
            `CREATE INDEX ${indexName(cols)} ON ${table} (${cols.map(ident).join(', ')})`,
          )
      }
      await this.fill(trx)
      await run(
        trx,
        this.family,
        'INSERT INTO read_model_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        [META_KEY, sig],
      )
    })
    return true
  }

  /** Fills every typed table from the registers (the generic tables are the truth). */
  private async fill(db: AnyDb): Promise<void> {
    const types = Object.keys(this.schema.types)
    if (types.length === 0) return
    let after: [string, string, string] = ['', '', '']
    for (;;) {
      const page = await run<{ space: string; type: string; id: string }>(
        db,
        this.family,
        `SELECT space, type, id FROM read_model_entities WHERE (space, type, id) > (?, ?, ?) ORDER BY space, type, id LIMIT 500`,
        after,
      )
      if (page.length === 0) return
      const last = page[page.length - 1]!
      after = [last.space, last.type, last.id]
      const entities = page.filter((row) => this.has(row.type))
      const registers = await loadRegisters(db, this.family, entities)
      await this.upsert(
        db,
        entities.map((e) => ({
          ...e,
          registers: registers.get(`${e.space}\u0000${e.type}\u0000${e.id}`) ?? [],
        })),
      )
    }
  }

  /** Writes the typed rows of these entities (of schema types) from their registers. */
  async upsert(
    db: AnyDb,
    entities: ReadonlyArray<{
      space: string
      type: string
      id: string
      registers: readonly Register[]
      row?: EntityRow
    }>,
  ): Promise<void> {
    const byType = new Map<string, typeof entities extends ReadonlyArray<infer E> ? E[] : never>()
    for (const e of entities) {
      if (!this.has(e.type)) continue
      const list = byType.get(e.type) ?? []
      list.push(e)
      byType.set(e.type, list)
    }
    for (const [type, list] of byType) {
      const attrs = Object.entries(this.schema.types[type]!)
      const names = ['space', 'id', 'deleted', ...attrs.map(([n]) => n)]
      const width = names.length
      const set = names
        .slice(2)
        .map((n) => `${ident(n)} = excluded.${ident(n)}`)
        .join(', ')
      for (const chunk of chunked(list, Math.floor(5000 / width))) {
        const params: unknown[] = []
        for (const e of chunk) {
          const byAttribute = new Map(e.registers.map((r) => [r.attribute, r]))
          const deleted = byAttribute.get('deleted')?.value === true
          params.push(e.space, e.id, this.family === 'postgres' ? deleted : deleted ? 1 : 0)
          for (const [name, spec] of attrs) {
            const cell = typedCell(name, spec, byAttribute)
            params.push(
              this.family === 'sqlite' && typeof cell === 'boolean' ? (cell ? 1 : 0) : cell,
            )
          }
        }
        await run(
          db,
          this.family,
          `INSERT INTO ${typedTable(this.family, type)} (${names.map(ident).join(', ')}) VALUES ${placeholders(chunk.length, width)} ON CONFLICT (space, id) DO UPDATE SET ${set}`,
          params,
        )
      }
    }
  }
}

/** The registers of these entities, by `space NUL type NUL id`. */
export const loadRegisters = async (
  db: AnyDb,
  family: Family,
  entities: ReadonlyArray<{ space: string; id: string }>,
): Promise<Map<string, Register[]>> => {
  const out = new Map<string, Register[]>()
  const keys = new Map(entities.map((e) => [`${e.space}\u0000${e.id}`, e]))
  for (const chunk of chunked([...keys.values()])) {
    const rows = await run<{
      space: string
      type: string
      id: string
      attribute: string
      value: string
      hlc: string
      event: string
    }>(
      db,
      family,
      `SELECT space, type, id, attribute, value, hlc, event FROM read_model_registers WHERE (space, id) IN (VALUES ${placeholders(chunk.length, 2)})`,
      chunk.flatMap((e) => [e.space, e.id]),
    )
    for (const r of rows) {
      const key = `${r.space}\u0000${r.type}\u0000${r.id}`
      const list = out.get(key) ?? []
      list.push({ attribute: r.attribute, value: JSON.parse(r.value), hlc: r.hlc, event: r.event })
      out.set(key, list)
    }
  }
  return out
}
