import type { StatementCache } from '../driver/sqlite.js'
import { GET_STATE, SET_STATE } from '../store/sql.js'

/**
 * History horizons, kept in `sync_state` under `horizon:<spaceId>` (a shared space) or
 * `horizon:private` (the private space). A horizon is an HLC: at and after it the log holds
 * every event this device received, so `asOf(h)` for `h >= horizon` is exact; before it,
 * superseded events may have been dropped — by this device (`truncateLog`) or by the server's
 * compaction, whose horizons are stored under the same keys. Each key only ever moves forward.
 */
export const HORIZON_PREFIX = 'horizon:'
/** The key part naming the private space (locally NULL, see `Store.privateSpace`). */
export const PRIVATE_HORIZON = 'private'

/** The `sync_state` key of a space's horizon (null: the private space). */
export const horizonKey = (space: string | null): string =>
  `${HORIZON_PREFIX}${space ?? PRIVATE_HORIZON}`

/** A space's horizon, if any of its history was cut. */
export const horizonOf = (sql: StatementCache, space: string | null): string | undefined =>
  sql.one<{ value: string }>(GET_STATE, [horizonKey(space)])?.value

/** The greatest horizon of any space, if any history was cut. */
export const greatestHorizon = (sql: StatementCache): string | undefined =>
  sql.one<{ value: string | null }>(
    `SELECT max(value) AS value FROM sync_state WHERE key >= ? AND key < ?`,
    [HORIZON_PREFIX, `${HORIZON_PREFIX.slice(0, -1)};`],
  )?.value ?? undefined

/**
 * Moves a space's horizon to `hlc` unless it already lies at or after it (HLCs compare as
 * text). Runs inside the caller's transaction, with the rows it dropped.
 */
export const raiseHorizon = (sql: StatementCache, space: string | null, hlc: string): void => {
  const now = horizonOf(sql, space)
  if (now === undefined || now < hlc) sql.run(SET_STATE, [horizonKey(space), hlc])
}
