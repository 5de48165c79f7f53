import { newId, type SyncResponse } from '@tidings/protocol'
import type { Store } from '../store/store.js'
import type { SyncResult, VerifyResult } from './types.js'

/**
 * Why a device re-compared its bundles with the server (invariant 7):
 * - `server_restored`: the server answered `reset`: its database was restored from a backup
 *   (or failed over to a lagging replica), or it could not read this device's cursor. Bundles
 *   it acknowledged may be gone; positions the device passed may hold other bundles now.
 * - `device_rolled_back`: the server holds a bundle of this client that this device does not:
 *   the device's own database went back in time (a power cut under `synchronous=NORMAL`, a
 *   restored backup), losing writes the server had acknowledged.
 */
export type RecoveryReason = 'server_restored' | 'device_rolled_back'

/** The `sync_state` key that holds a recovery still owed, so a crash in the middle resumes it. */
export const RECOVERY_KEY = 'recovery'

/**
 * What an answer says about recovery, or null. A device that rolled back also takes in the
 * server's latest HLC of its own, so it never issues that HLC again for another event.
 */
export const recoveryFrom = (store: Store, answer: SyncResponse): RecoveryReason | null => {
  const own = answer.own
  if (own && !store.hasBundle(own.bundle)) {
    store.clock.receive(own.hlc)
    return 'device_rolled_back'
  }
  return answer.reset ? 'server_restored' : null
}

/**
 * A recovery this device owes, as persisted: why, and a token that tells this call for it from a
 * later one (another restore seen while recovering must not be cleared with the first).
 */
export interface Owed {
  reason: RecoveryReason
  token: string
}

/** The value to persist under `RECOVERY_KEY` when an answer calls for a recovery. */
export const owe = (reason: RecoveryReason): string => `${reason} ${newId()}`

/** The recovery this device still owes (persisted), or null. */
export const owedRecovery = (store: Store): Owed | null => {
  const [reason, token] = (store.getState(RECOVERY_KEY) ?? '').split(' ')
  if (reason !== 'server_restored' && reason !== 'device_rolled_back') return null
  return { reason, token: token ?? '' }
}

/** A sync's result after one more recovery: both syncs, and what the comparison found. */
export const afterRecovery = (
  reason: RecoveryReason,
  compared: Omit<VerifyResult, 'pushed'>,
  first: SyncResult,
  again: SyncResult,
): SyncResult => ({
  pushed: first.pushed + again.pushed,
  pulled: first.pulled + again.pulled + compared.pulled,
  ...((first.rejected ?? again.rejected) !== undefined && {
    rejected: (first.rejected ?? 0) + (again.rejected ?? 0),
  }),
  recovered: {
    reason,
    missingLocally: (first.recovered?.missingLocally ?? 0) + compared.missingLocally,
    missingOnServer: (first.recovered?.missingOnServer ?? 0) + compared.missingOnServer,
    at: Date.now(),
  },
})
