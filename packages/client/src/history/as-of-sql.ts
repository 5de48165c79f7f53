import type { AnyAttr, Kind } from '../schema/attr.js'
import type { Schema } from '../schema/define.js'
import { namesOf } from '../store/renames.js'
import { SPACE, tableName } from '../store/typed.js'

/**
 * The typed table of `type` as it was at a bound, as a common table expression named like the
 * table itself (`t_<type>`): within one statement a CTE shadows the table of the same name, so
 * the very SQL `compileFetch` writes for `client.fetch` runs over the past unchanged — same
 * where, orderBy, limit, offset, space and deleted rules.
 *
 * Most of the past is the present: an entity none of whose events is stamped after the bound
 * has today's typed row (read from `main.t_<type>`, which the CTE does not shadow). Only the
 * entities written after the bound are folded again from the log: each register's winner is
 * its last event at or before the bound by (hlc, id), the order `wins` and `rebuild` use;
 * renamed attributes take the latest write under any of their names, as their column does; an
 * entity with no event by then has no row. The log has no index by entity or time, so finding
 * those entities is one scan of it; the fold then sorts only their events.
 *
 * Refolded values are put into columns in SQL (JSON1), as `toColumn` does: a value of the
 * attribute's kind as is, any other kind NULL — what `readAs` gives where the schema declares
 * no conversion (code, in JavaScript). A type with one is folded in JavaScript instead
 * (`foldedTable`). `params` gives the statement's parameters in order.
 */
export const asOfTable = (
  schema: Schema,
  type: string,
): { cte: string; params: (bound: string) => unknown[] } => {
  const shape = schema.shape(type) as Readonly<Record<string, AnyAttr>>
  const names: string[] = ['deleted']
  const canon: string[] = []
  for (const attribute of Object.keys(shape)) {
    for (const name of namesOf(schema, type, attribute)) {
      names.push(name)
      if (name !== attribute) canon.push(`WHEN ${literal(name)} THEN ${literal(attribute)}`)
    }
  }
  const attribute = canon.length
    ? `CASE attribute ${canon.join(' ')} ELSE attribute END`
    : 'attribute'
  const pivot = Object.entries(shape).map(
    ([name, attr]) =>
      `max(CASE WHEN attribute = ${literal(name)} THEN ${cell(attr.kind)} END) AS ${ident(name)}`,
  )
  const table = ident(tableName(type))
  const cte = `WITH asof_changed AS (
  SELECT DISTINCT entity FROM events WHERE type = ? AND hlc > ?
), ${table} AS (
  SELECT id, deleted, ${Object.keys(shape).map(ident).join(', ')}, ${SPACE} FROM main.${table}
  WHERE id NOT IN (SELECT entity FROM asof_changed)
  UNION ALL
  SELECT entity AS id,
    coalesce(max(CASE WHEN attribute = 'deleted' THEN value = 'true' END), 0) AS deleted,
    ${pivot.join(',\n    ')},
    (SELECT s.space FROM entity_spaces s WHERE s.entity = w.entity) AS ${SPACE}
  FROM (
    SELECT entity, attribute, value FROM (
      SELECT entity, ${attribute} AS attribute, value,
        row_number() OVER (PARTITION BY entity, ${attribute} ORDER BY hlc DESC, id DESC) AS rn
      FROM events
      WHERE type = ? AND hlc <= ? AND entity IN (SELECT entity FROM asof_changed)
        AND attribute IN (${names.map(literal).join(', ')})
    ) WHERE rn = 1
  ) w GROUP BY entity
)`
  return {
    cte,
    params: (bound) => [type, bound, type, bound],
  }
}

/**
 * `asOfTable` for a type whose schema declares conversions, which only JavaScript can run: the
 * entities written after the bound are folded again there (`foldChanged`, the fold
 * `asOf(...).get` uses) and come in as two JSON parameters: `changed`, the ids to leave out of
 * today's table, and `rows`, each `[id, deleted, ...columns]` in the shape's order, read back
 * with JSON1 (`json_each`). Their
 * values are already column values (`toColumn`), so both halves decode alike. Slower than the
 * fold in SQL where many entities changed since the bound (each of their events is read into
 * JavaScript: about twice the time for a page of a 50,000-entity type with 5,000 changed).
 */
export const foldedTable = (
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

/** A logged JSON value as its typed column (see `toColumn`). */
const cell = (kind: Kind): string => {
  switch (kind) {
    case 'string':
    case 'ref':
    case 'date':
      return `CASE WHEN json_type(value) = 'text' THEN json_extract(value, '$') END`
    case 'number':
      return `CASE WHEN json_type(value) IN ('integer', 'real') THEN json_extract(value, '$') END`
    case 'boolean':
      return `CASE value WHEN 'true' THEN 1 WHEN 'false' THEN 0 END`
    case 'json':
      return `CASE WHEN value <> 'null' THEN value END`
  }
}

/** Names come from the schema (checked identifiers); quoted all the same. */
const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`
const ident = (text: string): string => `"${text.replaceAll('"', '""')}"`
