import type { StatementCache } from '../driver/sqlite.js'
import * as Q from './sql.js'

/**
 * Where this device's writes not yet vouched for by a `resume` answer begin: the clock's last
 * HLC when the database was opened, kept until an answer to a `resume` request finds no
 * rollback.
 *
 * Why: a device that rolled back (its database went back to an older copy) re-stamps, once the
 * server tells it so (`restampAtOrBelow`), the writes whose HLCs may be ones the server already
 * holds for other events. Only writes made after it reopened on the copy can be such: the clock
 * resumed from the copy's last HLC, which the lost writes had passed. The copy's own queued
 * bundles were stamped before that point by the clock that then went on to stamp the lost ones,
 * so their HLCs are theirs alone; but the lost incarnation may have pushed them, and siblings
 * pulled them. Re-stamping such a bundle is safe only while the server still holds it (it then
 * refuses the new stamps as `conflict` and the device adopts the server's, `sync/adopt.ts`): a
 * server restored from a backup that lost it takes the new stamps, while siblings keep the old
 * ones under the same event ids (dedupe by id) and their registers stay on other winners for
 * good (invariant 1; seen in the chaos schedules). So they keep their stamps: re-stamping starts
 * after this mark.
 *
 * The mark is set when a database is opened, unless one is already there (reopened again
 * before any `resume` answer: the writes since the first of those opens are the unvouched
 * ones), and dropped by the first `resume` answer that finds no rollback. A copy taken in that
 * window carries the older mark: its queued bundles written after it are re-stamped as before.
 */
const KEY = 'unresumed_after'

/** Sets the mark at opening (in the opening transaction), unless one is already there. */
export const markOpened = (sql: StatementCache, last: string | null): void => {
  if (sql.one<{ value: string }>(Q.GET_STATE, [KEY]) === undefined)
    sql.run(Q.SET_STATE, [KEY, last ?? ''])
}

/** Drops the mark: a `resume` answer found no rollback. */
export const clearUnresumed = (sql: StatementCache): void => {
  sql.run(DELETE_STATE, [KEY])
}

/**
 * The HLC after which local bundles may have been written since a rollback ('' when the mark is
 * absent: a database from before the mark, or one whose rollback shows only later; every
 * unacknowledged bundle may be re-stamped then, as before).
 */
export const unresumedAfter = (sql: StatementCache): string =>
  sql.one<{ value: string }>(Q.GET_STATE, [KEY])?.value ?? ''

const DELETE_STATE = 'DELETE FROM sync_state WHERE key = ?'
