import type { JsonValue } from '@tidings/protocol'
import type { StatementCache } from '../driver/sqlite.js'
import type { Schema } from '../schema/define.js'
import { REGISTERS } from './sql.js'

/**
 * Renamed attributes (`renamedFrom`). Every name an attribute ever had is its own register in
 * the log: old app versions write the old name, this one writes every name. The typed column
 * shows the latest write under any of them, by the same (hlc, event id) order as any register,
 * so devices of one version agree whatever order the events came in.
 */

/** Per type: every name of a renamed attribute (its own included) → the attribute's name now. */
export const renamesOf = (schema: Schema): Map<string, Map<string, string>> => {
  const byType = new Map<string, Map<string, string>>()
  for (const type of Object.keys(schema.types)) {
    for (const [name, attr] of Object.entries(schema.shape(type))) {
      const old = attr.spec.renamedFrom
      if (!old || old.length === 0) continue
      let names = byType.get(type)
      if (!names) {
        names = new Map()
        byType.set(type, names)
      }
      names.set(name, name)
      for (const previous of old) names.set(previous, name)
    }
  }
  return byType
}

/** Every name of `attribute` of `type`: its own, then its earlier ones. */
export const namesOf = (schema: Schema, type: string, attribute: string): string[] => [
  attribute,
  ...(schema.shape(type)[attribute]?.spec.renamedFrom ?? []),
]

const among = (count: number) => `(${Array(count).fill('?').join(', ')})`

/** The latest value of one entity's attribute under any of `names` (undefined: never written). */
export const winnerAmong = (
  sql: StatementCache,
  type: string,
  entity: string,
  names: readonly string[],
): JsonValue | undefined => {
  const row = sql.one<{ value: string }>(
    `SELECT value FROM (${REGISTERS}) WHERE type = ? AND entity = ? AND attribute IN ${among(names.length)} ORDER BY hlc DESC, event DESC LIMIT 1`,
    [type, entity, ...names],
  )
  return row === undefined ? undefined : (JSON.parse(row.value) as JsonValue)
}

/** For a back-fill: each entity of `type` with its latest value under any of `names`. */
export const winnersAmong = (
  sql: StatementCache,
  type: string,
  names: readonly string[],
): Array<{ entity: string; value: string }> =>
  sql.all(
    `SELECT entity, value FROM (
  SELECT entity, value, row_number() OVER (PARTITION BY entity ORDER BY hlc DESC, event DESC) AS rn
  FROM (${REGISTERS}) WHERE type = ? AND attribute IN ${among(names.length)}
) WHERE rn = 1`,
    [type, ...names],
  )
