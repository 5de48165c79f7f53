import type { AnyAttr } from '../schema/attr.js'
import type { Schema } from '../schema/define.js'
import { SPACE, tableName } from '../store/typed.js'

/**
 * The typed table of `type` as it was at a bound, as a common table expression named like the
 * table itself (`t_<type>`): within one statement a CTE shadows the table of the same name, so
 * the very SQL `compileFetch` writes for `client.fetch` runs over the past unchanged — same
 * where, orderBy, limit, offset, space and deleted rules.
 *
 * Most of the past is the present: an entity none of whose events is stamped after the bound
 * has today's typed row (read from `main.t_<type>`, which the CTE does not shadow). The
 * entities written after it are folded again in JavaScript (`foldChanged`, the fold
 * `asOf(...).get` uses, with the schema's declared conversions) and come in as two JSON
 * parameters: `changed`, the ids to leave out of today's table, and `rows`, each
 * `[id, deleted, ...columns]` in the shape's order, read back with JSON1 (`json_each`). Their
 * values are already column values (`toColumn`), so both halves decode alike.
 */
export const asOfTable = (
  schema: Schema,
  type: string,
): { cte: string; params: (changed: string[], rows: unknown[][]) => unknown[] } => {
  const shape = schema.shape(type) as Readonly<Record<string, AnyAttr>>
  const columns = Object.keys(shape).map(ident)
  const table = ident(tableName(type))
  const cte = `WITH ${table} AS (
  SELECT id, deleted, ${columns.join(', ')}, ${SPACE} FROM main.${table}
  WHERE id NOT IN (SELECT value FROM json_each(?))
  UNION ALL
  SELECT json_extract(r.value, '$[0]') AS id, json_extract(r.value, '$[1]') AS deleted,
    ${columns.map((column, i) => `json_extract(r.value, '$[${i + 2}]') AS ${column}`).join(', ')},
    (SELECT s.space FROM entity_spaces s WHERE s.entity = json_extract(r.value, '$[0]')) AS ${SPACE}
  FROM json_each(?) r
)`
  return {
    cte,
    params: (changed, rows) => [JSON.stringify(changed), JSON.stringify(rows)],
  }
}

/** Names come from the schema (checked identifiers); quoted all the same. */
const ident = (text: string): string => `"${text.replaceAll('"', '""')}"`
