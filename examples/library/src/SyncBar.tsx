import type { SyncStatus } from '@tidings/client'
import { useSyncStatus } from '@tidings/react'
import { useState } from 'react'
import type { LibraryClient } from './library-client.ts'
import { RefusedChanges } from './RefusedChanges.tsx'

const label = (status: SyncStatus): string => {
  // Changes this device could not save (IndexedDB over quota) matter more than the sync state.
  if (status.unsaved) return 'Not saved on this device'
  switch (status.state) {
    case 'syncing':
      return 'Syncing…'
    case 'offline':
      return 'Offline'
    case 'error':
      return 'Sync error'
    case 'idle':
      return status.lastSyncedAt === null ? 'Connecting…' : 'Online'
  }
}

/**
 * What the hidden live region says: only changes a person needs to hear (offline, back online,
 * an error, not saved). A routine sync's "Syncing…" and the pending count are not announced:
 * the bar's own text changes every few seconds, and a screen reader would read it out each time.
 */
const announcement = (status: SyncStatus): string => {
  if (status.unsaved) return 'Changes are not saved on this device'
  if (status.state === 'offline') return 'Offline: changes are kept on this device'
  if (status.state === 'error') return `Sync error: ${status.error?.message ?? 'unknown'}`
  return status.lastSyncedAt === null ? '' : 'Online'
}

/** What a recovery exchanged, for the tooltip. */
const recoveryDetail = (recovery: NonNullable<SyncStatus['recovery']>): string =>
  `${new Date(recovery.at).toLocaleTimeString()}: fetched ${recovery.missingLocally}, ` +
  `sent again ${recovery.missingOnServer}`

/**
 * Online/offline/syncing (or not saved on this device), the number of unsynced changes, the
 * number the server refused for good (they stay on this device; see `client.rejected()`), a
 * button to sync now, and the last recovery from a restored server or a rolled-back device
 * (invariant 7), when there was one.
 */
export function SyncBar(props: { client: LibraryClient }) {
  const status = useSyncStatus()
  const [busy, setBusy] = useState(false)
  const syncNow = () => {
    setBusy(true)
    // A failed sync shows in the status (offline or error); nothing else to report here.
    props.client
      .sync()
      .catch(() => {})
      .finally(() => setBusy(false))
  }
  const pending =
    status.pending === 0
      ? 'All changes synced'
      : `${status.pending} change${status.pending === 1 ? '' : 's'} pending`
  return (
    <div className="sync">
      <output
        className="status"
        data-state={status.unsaved ? 'unsaved' : status.state}
        aria-label="Sync status"
        // An <output> is a live region by default: this one changes with every sync.
        aria-live="off"
        title={status.unsaved?.message ?? status.error?.message}
      >
        <span className="dot" aria-hidden="true" />
        <span className="state">{label(status)}</span>
        {/* Why, in words, not only in a tooltip: "this device has no network connection". */}
        {!status.unsaved && status.error && status.state !== 'idle' && (
          <span className="reason">{status.error.message}</span>
        )}
        <span className="pending">{pending}</span>
      </output>
      <span className="visually-hidden" aria-live="polite" data-testid="sync-announcement">
        {announcement(status)}
      </span>
      <Connection status={status} />
      <button type="button" onClick={syncNow} disabled={busy}>
        Sync now
      </button>
      <RefusedChanges client={props.client} count={status.rejected} />
      {status.recovery && (
        <span className="recovery" title={recoveryDetail(status.recovery)}>
          {status.recovery.reason === 'server_restored'
            ? 'Resynced after a server restore'
            : 'Recovered changes this device had lost'}
        </span>
      )}
    </div>
  )
}

/**
 * Which tab talks to the server, said quietly (outside the live region, so a hand-over is not
 * announced): every tab of the app is live, but one tab's worker owns the database and the sync
 * connection and the others work through it.
 */
function Connection(props: { status: SyncStatus }) {
  if (!props.status.connection) return null
  const owner = props.status.connection === 'this-tab'
  return (
    <span
      className="connection"
      data-connection={props.status.connection}
      title={
        owner
          ? 'This tab keeps the library and syncs it for every tab of this browser.'
          : 'Another tab of this browser keeps the library and syncs it; this one works through it.'
      }
    >
      {owner ? 'This tab syncs' : 'Synced through another tab'}
    </span>
  )
}
