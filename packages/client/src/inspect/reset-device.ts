import { TidingsError } from '@tidings/protocol'
import { UnsentChangesError } from '../accounts/errors.js'
import type { Store } from '../store/store.js'
import type { RejectedBundles } from '../sync/rejected.js'
import type { SyncResult, VerifyResult } from '../sync/types.js'
import type { ResetOptions, ResetResult } from './types.js'

/** What a reset needs of its client. */
export interface ResetHost {
  store: Store
  refused: RejectedBundles
  /** The client's sync (reflected in its status); null when no server is configured. */
  sync: (() => Promise<SyncResult>) | null
  /** The client's verify: compares bundle ids with the server and fetches what is missing. */
  verify: () => Promise<VerifyResult>
  /** Whether a sync is in flight or queued. */
  busy: () => boolean
  /** Resolves once no sync is in flight or queued. */
  idle: () => Promise<void>
  /** After the wipe: live queries, spaces and the status must see the empty store. */
  wiped: () => void
}

/**
 * "Reset this device and resync": push first, refuse if anything would still be lost, then
 * empty the store in one transaction and pull everything again.
 *
 * Pushing first rather than refusing at once: the common case (a device that is just confused)
 * then needs no decision from anyone. What a push cannot deliver (the server is unreachable:
 * the sync's error is thrown; bundles it refused for good and nobody discarded; writes made
 * while it ran) is only dropped with `discardUnsent: true`.
 *
 * After the pull, bundle ids are compared with the server's (`verify`), so the device ends
 * with every bundle the server holds for it whatever the server's age.
 *
 * The wipe runs synchronously right after checking that no sync is in flight, so no sync can
 * read the old cursor and apply its page to the empty store (which would skip everything
 * before it). The client id and the clock stay: the device never issues an HLC the server
 * already holds, and the server recognises its own bundles coming back.
 */
export const resetDevice = async (
  host: ResetHost,
  options: ResetOptions = {},
): Promise<ResetResult> => {
  const sync = host.sync
  if (!sync)
    throw new TidingsError(
      'bad_request',
      'resetDevice needs a server to resync from: without one it would only delete this device’s data',
    )
  await sync()
  while (host.busy()) await host.idle()
  const pending = host.store.pending()
  const refused = host.refused.count()
  if (pending + refused > 0 && !options.discardUnsent)
    throw new UnsentChangesError(
      { pending, rejected: refused },
      'resetDevice({ discardUnsent: true })',
    )
  host.store.wipe()
  host.refused.recount()
  host.wiped()
  const { pulled } = await sync()
  // Today's server sends a client its own bundles back on a full pull; an older one leaves them
  // out, and only comparing bundle ids brings them back.
  const verified = await host.verify()
  return { discarded: pending + refused, pulled: pulled + verified.pulled }
}
