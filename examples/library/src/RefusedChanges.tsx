import type { RejectedBundle } from '@tidings/client'
import { useEffect, useState } from 'react'
import type { LibraryClient } from './library-client.ts'

/**
 * "N changes refused": local changes the server refused for good. They stay on this device
 * only; the button lists them, and each can be discarded (stop reporting it, keep it local).
 */
export function RefusedChanges(props: { client: LibraryClient; count: number }) {
  const { client, count } = props
  const [open, setOpen] = useState(false)
  const [refused, setRefused] = useState<RejectedBundle[]>([])
  useEffect(() => {
    if (!open || count === 0) return
    let current = true
    // A failed read leaves the list as it was (and says why in the console); the count in the
    // status stays right.
    client.rejected().then(
      (list) => current && setRefused(list),
      (error: unknown) => console.error('could not list the refused changes', error),
    )
    return () => {
      current = false
    }
  }, [client, open, count])
  if (count === 0) return null
  const label = `${count} change${count === 1 ? '' : 's'} refused`
  return (
    <div className="refused">
      <button
        type="button"
        aria-expanded={open}
        aria-label={`${label} by the server`}
        title="The server refused these changes for good; they stay on this device only"
        onClick={() => setOpen(!open)}
      >
        {label}
      </button>
      {open && (
        <ul aria-label="Refused changes">
          {refused.map((r, i) => (
            <li key={r.id}>
              {r.message} ({r.events.length} field{r.events.length === 1 ? '' : 's'}){' '}
              <button
                type="button"
                aria-label={`Discard refused change ${i + 1}`}
                onClick={() =>
                  void client
                    .discardRejected(r.id)
                    .catch((error: unknown) => console.error('could not discard', error))
                }
              >
                Discard
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}
