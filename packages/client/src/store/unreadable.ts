import type { JsonValue } from '@tidings/protocol'
import type { StatementCache } from '../driver/sqlite.js'

/** A value this app version cannot read, as `unreadable()` lists it. */
export interface UnreadableValue {
  type: string
  /** The entity's id. */
  id: string
  /** The attribute as this schema names it. */
  attribute: string
  /** The value as the log holds it (JSON), as another app version wrote it. */
  value: JsonValue
}

const RECORD =
  'INSERT INTO unreadable (type, entity, attribute, value) VALUES (?, ?, ?, ?) ON CONFLICT (type, entity, attribute) DO UPDATE SET value = excluded.value'
const FORGET = 'DELETE FROM unreadable WHERE type = ? AND entity = ? AND attribute = ?'
// Entities dropped since (a space left) have no registers left: they are not reported.
const LIST = `SELECT u.type, u.entity AS id, u.attribute, u.value FROM unreadable u
WHERE EXISTS (SELECT 1 FROM attributes a WHERE a.type = u.type AND a.entity = u.entity)
ORDER BY u.type, u.entity, u.attribute`
const COUNT = `SELECT count(*) AS n FROM unreadable u
WHERE EXISTS (SELECT 1 FROM attributes a WHERE a.type = u.type AND a.entity = u.entity)`

/**
 * The values this device's schema cannot read (table `unreadable`, see
 * `unreadable-migration.ts`), kept in step by the typed tables' projection.
 */
export class UnreadableValues {
  /**
   * False while the table is known to be empty (nearly always): a readable value then costs
   * no statement, where forgetting it would cost a DELETE per projected attribute.
   */
  private any: boolean

  constructor(private readonly sql: StatementCache) {
    this.any = sql.one('SELECT 1 AS x FROM unreadable LIMIT 1') !== undefined
  }

  /** The winner of a register cannot be read: list it (the value as the log holds it). */
  record(type: string, entity: string, attribute: string, value: JsonValue): void {
    this.sql.run(RECORD, [type, entity, attribute, JSON.stringify(value)])
    this.any = true
  }

  /** The winner of a register reads fine: it is no longer unreadable. */
  readable(type: string, entity: string, attribute: string): void {
    if (this.any) this.sql.run(FORGET, [type, entity, attribute])
  }

  /** Forgets everything (a rebuild projects it all again). */
  clear(): void {
    this.sql.run('DELETE FROM unreadable')
    this.any = false
  }

  /** Forgets the attributes no longer declared (a later app version dropped them). */
  keepOnly(declared: ReadonlyMap<string, ReadonlySet<string>>): void {
    if (!this.any) return
    for (const { type, attribute } of this.sql.all<{ type: string; attribute: string }>(
      'SELECT DISTINCT type, attribute FROM unreadable',
    ))
      if (!declared.get(type)?.has(attribute))
        this.sql.run('DELETE FROM unreadable WHERE type = ? AND attribute = ?', [type, attribute])
  }

  list(): UnreadableValue[] {
    return this.sql
      .all<{ type: string; id: string; attribute: string; value: string }>(LIST)
      .map((row) => ({ ...row, value: JSON.parse(row.value) as JsonValue }))
  }

  count(): number {
    return this.any ? Number(this.sql.one<{ n: number }>(COUNT)?.n ?? 0) : 0
  }
}
