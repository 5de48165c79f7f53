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
 * Online/offline/syncing (or not saved on this device), the number of unsynced changes, the number the server refused for
 * good (they stay on this device; see `client.rejected()`), and a button to sync now.
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
        aria-live="polite"
        title={status.unsaved?.message ?? status.error?.message}
      >
        <span className="dot" aria-hidden="true" />
        <span className="state">{label(status)}</span>
        <span className="pending">{pending}</span>
      </output>
      <button type="button" onClick={syncNow} disabled={busy}>
        Sync now
      </button>
      <RefusedChanges client={props.client} count={status.rejected} />
    </div>
  )
}
