import { isTidingsError } from '@tidings/protocol'
import type { Store } from '../store/store.js'
import type { RejectedBundles } from '../sync/rejected.js'
import type { ServerOptions } from '../sync/types.js'
import { AccountMismatchError } from './errors.js'

/**
 * A client database belongs to one user: its client id is registered to that user at its
 * first sync, and the server refuses it to anyone else for good (`client … belongs to another
 * user`). This file keeps that promise on the device, without asking the network at open:
 *
 * - `sync_state.account_name` keeps the app's `server.account` the database was first opened
 *   for; opening it for another one is refused at open.
 * - Opening with another token (maybe the same user's new token, maybe not) is allowed: if the
 *   database ever synced, the server tells at the first request (its client id is another
 *   user's), which becomes `account_mismatch` with nothing sent; if it never synced but holds
 *   unsent changes, nobody could tell whose they are, so that open is refused.
 */

/** `sync_state` keys. */
const ACCOUNT = 'account'
/** The app's `server.account` this database was opened for (absent: never given). */
const ACCOUNT_NAME = 'account_name'
/** Set after the first sync the server answered: the client id is now registered to a user. */
const SYNCED = 'synced_once'

/** A short non-cryptographic fingerprint: tells tokens apart without storing one. */
const fnv1a = (text: string): string => {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return (hash >>> 0).toString(16).padStart(8, '0')
}

/**
 * What the cursor belongs to: a fixed token's fingerprint, else the app's `account`. (Kept as
 * it was before accounts were guarded, so that upgrading starts no cursor over.)
 */
export const accountKey = (server: ServerOptions): string =>
  typeof server.token === 'string' ? fnv1a(server.token) : `account:${server.account ?? ''}`

/**
 * Records which server and account this database syncs with, or throws `AccountMismatchError`
 * (closing nothing: the caller closes the database). A cursor is a position in one account's
 * stream: when the account changes, the cursor starts over (pulls are idempotent, so reading
 * again is safe; skipping would not be).
 */
export const bindAccount = (
  store: Store,
  refused: RejectedBundles,
  server: ServerOptions,
): void => {
  const key = accountKey(server)
  const urls = JSON.stringify(typeof server.url === 'string' ? [server.url] : server.url)
  const name = server.account || undefined
  const was = store.getState(ACCOUNT_NAME)
  if (was !== undefined && name !== undefined && was !== name)
    throw new AccountMismatchError(
      `this database belongs to account ${JSON.stringify(was)}, not ${JSON.stringify(name)}: open one database per account (accountDatabasePath, or a browser name per user), or sign ${JSON.stringify(was)} back in`,
      { database: was, given: name },
    )
  const before = store.getState(ACCOUNT)
  // A cursor too says the server answered (databases from before `synced_once` have one).
  const synced = store.getState(SYNCED) !== undefined || store.getState('cursor') !== undefined
  const unsent = store.pending() + refused.count()
  if (before !== undefined && before !== key && !synced && unsent > 0)
    throw new AccountMismatchError(
      `this database holds ${unsent} changes of another account that never reached the server: open it with that account's token to send them, or use another database for this one`,
      { database: was ?? 'another token', given: name ?? 'this token' },
    )
  store.sql.transaction(() => {
    if (before !== key) {
      if (synced) store.setState(SYNCED, '1')
      store.sql.run('DELETE FROM sync_state WHERE key = ?', ['cursor'])
      store.setState(ACCOUNT, key)
    }
    if (name !== undefined && was === undefined) store.setState(ACCOUNT_NAME, name)
    store.setState('server_urls', urls)
  })
}

/** Notes that the server answered a sync: from now on it guards the client id's owner. */
export const markSynced = (store: Store): void => {
  if (store.getState(SYNCED) === undefined) store.setState(SYNCED, '1')
}

/**
 * The server's refusal of this device's own client id as another user's (403 `forbidden`,
 * `details.client`), as the `AccountMismatchError` it means; any other error as it is.
 */
export const accountRefusal = (store: Store, error: unknown): unknown => {
  if (!isTidingsError(error, 'forbidden')) return error
  const details = error.details as { client?: unknown } | undefined
  if (details?.client !== store.clientId) return error
  const user = store.privateSpace
  return new AccountMismatchError(
    'this database belongs to another user than the token names; nothing was sent: open one database per user (accountDatabasePath, or a browser name per user), or sign that user back in',
    { database: user ?? `the user of client ${store.clientId}`, given: 'this token' },
  )
}
