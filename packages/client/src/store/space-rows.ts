import type { Event } from '@tidings/protocol'
import { quote, type StatementCache } from '../driver/sqlite.js'
import type { Schema } from '../schema/define.js'
import { SPACE, tableName } from './typed.js'

/**
 * The local rows of shared spaces (DESIGN §8): which entities belong to which space, and the
 * removal of everything of one space when this device leaves or loses it. The private space
 * writes nothing here (its entities are those absent from `entity_spaces`), so the hot paths of
 * a device that shares nothing are unchanged.
 */

const MARK_ENTITY =
  'INSERT INTO entity_spaces (entity, space) VALUES (?, ?) ON CONFLICT (entity) DO NOTHING'

/**
 * Records that the entities `events` write belong to `space` (the first bundle to write an
 * entity fixes its space) and tags their typed rows. Runs inside the caller's transaction,
 * after the typed rows of these events were written.
 */
export const markSpace = (
  sql: StatementCache,
  schema: Schema,
  space: string,
  events: readonly Event[],
): void => {
  const byType = new Map<string, Set<string>>()
  for (const e of events) {
    let entities = byType.get(e.type)
    if (!entities) {
      entities = new Set()
      byType.set(e.type, entities)
    }
    entities.add(e.entity)
  }
  for (const [type, entities] of byType) {
    const known = schema.has(type)
    const tag = `UPDATE ${quote(tableName(type))} SET ${SPACE} = ? WHERE id = ? AND ${SPACE} IS NOT ?`
    for (const entity of entities) {
      sql.run(MARK_ENTITY, [entity, space])
      if (known) sql.run(tag, [space, entity, space])
    }
  }
}

/** Recomputes `entity_spaces` from the log (for `rebuild`): an entity's space is its bundles'. */
export const rederiveEntitySpaces = (sql: StatementCache): void => {
  sql.run('DELETE FROM entity_spaces')
  sql.run(`INSERT INTO entity_spaces (entity, space)
    SELECT e.entity, min(b.space) FROM bundles b JOIN events e ON e.seq BETWEEN b.first_event AND b.last_event
    WHERE b.space IS NOT NULL GROUP BY e.entity`)
}

/** A local bundle as it would be pushed, for a copy kept in `rejected.content`. */
export type BundleContent = {
  id: string
  client: string
  hlc: string
  space?: string
  events: Event[]
}

/**
 * Deletes the log rows of `bundles` (their events, known-event links, part markers and the
 * bundle rows) inside the caller's transaction. Registers and typed rows are the caller's
 * to fix (dropping a whole space deletes them outright; undoing a few bundles rebuilds).
 */
export const deleteBundles = (sql: StatementCache, bundles: readonly string[]): void => {
  for (const id of bundles) {
    sql.run(
      'DELETE FROM events WHERE seq BETWEEN (SELECT first_event FROM bundles WHERE id = ?) AND (SELECT last_event FROM bundles WHERE id = ?)',
      [id, id],
    )
    sql.run('DELETE FROM known_events WHERE bundle = ?', [id])
    sql.run('DELETE FROM bundle_parts WHERE bundle = ?', [id])
    sql.run('DELETE FROM outbox WHERE bundle = ?', [id])
    sql.run('DELETE FROM bundles WHERE id = ?', [id])
  }
}

/**
 * Deletes every local row of a shared space: its bundles and their events, the registers and
 * typed rows of its entities, parts of it held aside, and the space itself, ending in the state
 * a fresh device of this user would build without it. Returns the types whose rows went.
 * (Refused and unsent bundles are copied out by the caller first.) Inside the caller's
 * transaction.
 */
export const dropSpaceRows = (sql: StatementCache, schema: Schema, space: string): Set<string> => {
  const bundles = sql.all<{ id: string }>('SELECT id FROM bundles WHERE space = ?', [space])
  deleteBundles(
    sql,
    bundles.map((b) => b.id),
  )
  sql.run("DELETE FROM held_parts WHERE json_extract(body, '$.space') = ?", [space])
  sql.run(
    'DELETE FROM attributes WHERE entity IN (SELECT entity FROM entity_spaces WHERE space = ?)',
    [space],
  )
  const types = new Set<string>()
  for (const type of Object.keys(schema.types))
    if (sql.run(`DELETE FROM ${quote(tableName(type))} WHERE ${SPACE} = ?`, [space]) > 0)
      types.add(type)
  sql.run('DELETE FROM entity_spaces WHERE space = ?', [space])
  sql.run('DELETE FROM spaces WHERE id = ?', [space])
  return types
}
