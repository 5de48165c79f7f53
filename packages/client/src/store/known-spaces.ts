import type { Role, Space, SpaceChange } from '@tidings/protocol'
import type { StatementCache } from '../driver/sqlite.js'
import { PRIVATE_SPACE_KEY } from './store.js'

/**
 * The spaces this device knows it belongs to, with its role in each (table `spaces`): filled by
 * `GET /v1/spaces`, by the spaces this device creates or joins, and by the membership changes
 * each `/v1/sync` answer carries. Roles here decide local refusals only (writing as a reader);
 * the server checks every push again.
 */

const LIST = 'SELECT id, name, role, private FROM spaces ORDER BY private DESC, name, id'
const UPSERT = `INSERT INTO spaces (id, name, role, private) VALUES (?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role, private = excluded.private`
const ROLE = 'SELECT role FROM spaces WHERE id = ?'
const SET_STATE =
  'INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'

interface Row {
  id: string
  name: string
  role: Role
  private: number
}

/** The spaces as last known, the private one first, then by name. */
export const listSpaces = (sql: StatementCache): Space[] =>
  sql.all<Row>(LIST).map((r) => ({
    id: r.id,
    name: r.name,
    role: r.role,
    ...(Number(r.private) === 1 ? { private: true as const } : {}),
  }))

/** This user's role in `space` as last known; undefined when this device does not know it. */
export const roleIn = (sql: StatementCache, space: string): Role | undefined =>
  sql.one<{ role: Role }>(ROLE, [space])?.role

/** Records a space this user belongs to (and the private space's id when it is that one). */
export const rememberSpace = (sql: StatementCache, space: Space | SpaceChange): void => {
  if (space.role === null) return
  const isPrivate = 'private' in space && space.private === true
  sql.run(UPSERT, [space.id, space.name, space.role, isPrivate ? 1 : 0])
  if (isPrivate) sql.run(SET_STATE, [PRIVATE_SPACE_KEY, space.id])
}

/**
 * Replaces the known list with the server's (`GET /v1/spaces`); returns the ids that were known
 * here but are no longer listed (spaces this user lost), for the caller to drop.
 */
export const replaceSpaces = (sql: StatementCache, spaces: readonly Space[]): string[] => {
  const listed = new Set(spaces.map((s) => s.id))
  const gone = listSpaces(sql)
    .map((s) => s.id)
    .filter((id) => !listed.has(id))
  for (const space of spaces) rememberSpace(sql, space)
  return gone
}

/**
 * Spaces this device learnt of from a direct answer (it created or joined one, or changed its
 * own role) that no sync answer has confirmed yet (`sync_state`, a JSON list of ids). Such a
 * change is also an entry of the user's feed, which the next sync brings; if a sync that began
 * after it drains the feed without it, the server lost it (restored from a backup taken before
 * it, with nothing in this device's cursor to tell), and the device asks `GET /v1/spaces` again.
 */
const UNCONFIRMED_KEY = 'unconfirmed_spaces'
const GET_STATE = 'SELECT value FROM sync_state WHERE key = ?'

/** The spaces learnt from direct answers and not confirmed since. */
export const unconfirmedSpaces = (sql: StatementCache): string[] => {
  const text = sql.one<{ value: string }>(GET_STATE, [UNCONFIRMED_KEY])?.value
  return text ? (JSON.parse(text) as string[]) : []
}

/** Notes a space learnt from a direct answer, for the next sync to confirm. */
export const markUnconfirmed = (sql: StatementCache, space: string): void => {
  const list = unconfirmedSpaces(sql)
  if (!list.includes(space)) sql.run(SET_STATE, [UNCONFIRMED_KEY, JSON.stringify([...list, space])])
}

/** Takes spaces off the unconfirmed list (a sync answer named them, or the server listed all). */
export const confirmSpaces = (sql: StatementCache, spaces: readonly string[]): void => {
  const list = unconfirmedSpaces(sql)
  const left = list.filter((id) => !spaces.includes(id))
  if (left.length !== list.length) sql.run(SET_STATE, [UNCONFIRMED_KEY, JSON.stringify(left)])
}
