import { TidingsError } from '@tidings/protocol'

/**
 * This device's database belongs to another user than the one the client was opened for
 * (`code: 'account_mismatch'`). Nothing was sent: the other user's unsent writes stay in the
 * database for when that user returns. Open one database per user (`accountDatabasePath` in
 * Node, one `name` per user in the browser), or sign the database's own user back in.
 *
 * Thrown by `openClient` when the database was opened for another explicit `account`, and by
 * `sync()`/`verify()` (and shown in `status.error`) when the server says the token names
 * another user than the one the database belongs to. In the browser it arrives as a
 * `TidingsError` with this code: branch on `code`, not on the class.
 */
export class AccountMismatchError extends TidingsError {
  constructor(
    message: string,
    readonly mismatch: {
      /** The user (server id) or account this database belongs to. */
      database: string
      /** The user (server id) or account the client was opened with. */
      given: string
    },
  ) {
    super('account_mismatch', message, { details: mismatch })
  }
}

/**
 * `signOut({ wipe: true })` or `inspector().resetDevice()` refused (`code: 'unsent_changes'`):
 * local changes were never delivered, and wiping would lose them. Nothing was wiped and the
 * client is still open: sync first, or pass `discardUnsent: true` to wipe them anyway. The
 * details use the status's words (`pending`, `rejected`) for both.
 */
export class UnsentChangesError extends TidingsError {
  constructor(
    readonly unsent: {
      /** Local bundles not yet acknowledged by the server. */
      pending: number
      /** Local bundles the server refused for good, still listed by `rejected()`. */
      rejected: number
    },
    /** The call that would wipe them anyway. */
    anyway = 'signOut({ wipe: true, discardUnsent: true })',
  ) {
    super(
      'unsent_changes',
      `${unsent.pending} unsent and ${unsent.rejected} refused local changes would be lost: sync first, or ${anyway} to wipe them anyway`,
      { details: unsent },
    )
  }
}
