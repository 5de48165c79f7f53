import type { JsonValue } from '@tidings/protocol'
import type { StatementCache } from '../driver/sqlite.js'
import type { AnyAttr, Kind } from '../schema/attr.js'
import { toColumn } from '../schema/codec.js'
import { readAs, UNREADABLE } from '../schema/convert.js'
import type { Schema } from '../schema/define.js'
import { namesOf, renamesOf, winnerAmong } from './renames.js'
import { UnreadableValues } from './unreadable.js'

/** The new winners of one entity: attribute, value, attribute, value, … */
export interface WinnerRow {
  entity: string
  pairs: readonly unknown[]
}

/**
 * How this app version reads the log into typed columns: a value of its attribute's kind as
 * is; one of another kind (another app version's) through the attribute's declared
 * conversions; one none reads as NULL, listed in `unreadable`; a renamed attribute's column as
 * the latest write under any of its names. The same on every device of one version, so they
 * agree; the log itself is never changed.
 */
export class Projection {
  readonly unreadable: UnreadableValues
  /** Per type: every name of a renamed attribute → its name now (see `renames.ts`). */
  private readonly renames: Map<string, Map<string, string>>

  constructor(
    private readonly sql: StatementCache,
    private readonly schema: Schema,
  ) {
    this.unreadable = new UnreadableValues(sql)
    this.renames = renamesOf(schema)
  }

  /**
   * The column value of a register's winner, read by `attr` (null: the tombstone, NOT NULL:
   * anything but `true`, even a malformed value, means alive). A value `attr` cannot read is
   * NULL and listed as unreadable; a readable one is taken off that list.
   */
  cell(
    type: string,
    entity: string,
    attribute: string,
    attr: AnyAttr | null,
    value: JsonValue,
  ): unknown {
    if (attr === null) return value === true ? 1 : 0
    // Most values are strings of string attributes: no conversion to look for.
    const read = typeof value === 'string' && attr.kind === 'string' ? value : readAs(attr, value)
    if (read === UNREADABLE) {
      this.unreadable.record(type, entity, attribute, value)
      return null
    }
    this.unreadable.readable(type, entity, attribute)
    return toColumn(attr.kind, read)
  }

  /**
   * `rows` with each write under any name of a renamed attribute replaced by the attribute's
   * latest value under all its names (the registers are up to date: this runs at the end of
   * the transaction that moved them). Types without renames pass through untouched.
   */
  renamed(type: string, rows: Iterable<WinnerRow>): Iterable<WinnerRow> {
    const renames = this.renames.get(type)
    if (!renames) return rows
    const out: WinnerRow[] = []
    for (const row of rows) {
      const { entity, pairs } = row
      let touched = false
      for (let i = 0; i < pairs.length && !touched; i += 2)
        touched = renames.has(pairs[i] as string)
      if (!touched) {
        out.push(row)
        continue
      }
      const renamed: unknown[] = []
      const done = new Set<string>()
      for (let i = 0; i < pairs.length; i += 2) {
        const name = pairs[i] as string
        const attribute = renames.get(name)
        if (attribute === undefined) renamed.push(name, pairs[i + 1])
        else if (!done.has(attribute)) {
          done.add(attribute)
          const value = winnerAmong(this.sql, type, entity, namesOf(this.schema, type, attribute))
          if (value !== undefined) renamed.push(attribute, value)
        }
      }
      out.push({ entity, pairs: renamed })
    }
    return out
  }

  /**
   * What a column's projection depends on, as text (a change projects it again at open): its
   * kind alone for an unversioned attribute without renames or conversions (as databases made
   * before versions recorded it), else also the schema version (conversions are code: a new
   * version may change them), the earlier names and the kinds converted from.
   */
  signature(type: string, attribute: string, kind: Kind): string {
    const spec = this.schema.shape(type)[attribute]?.spec
    let text: string = kind
    if (this.schema.version !== undefined) text += `@${this.schema.version}`
    if (spec?.renamedFrom?.length) text += `<${spec.renamedFrom.join(',')}`
    if (spec?.conversions?.length) text += `(${spec.conversions.map((c) => c.from).join(',')})`
    return text
  }
}
