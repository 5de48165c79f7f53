import type { Space } from '@tidings/client'
import { useEffect, useState } from 'react'
import { inWords } from './errors.ts'
import { joinWith } from './JoinLibrary.tsx'
import type { LibraryClient } from './library-client.ts'

// Once per page load (StrictMode runs effects twice; a code may be good for one use only).
let taken = false

/** Opening the app with `?invite=CODE` joins that library, then drops the code from the URL. */
export function InviteLink(props: { client: LibraryClient; onJoined: (space: Space) => void }) {
  const { client, onJoined } = props
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null)
  useEffect(() => {
    const url = new URL(location.href)
    const code = url.searchParams.get('invite')
    if (!code || taken) return
    taken = true
    url.searchParams.delete('invite')
    history.replaceState(null, '', url)
    joinWith(client, code).then(
      (space) => {
        setMessage({ text: `You joined the library ${space.name}.`, error: false })
        onJoined(space)
      },
      (error: unknown) =>
        setMessage({ text: `The invite link did not work: ${inWords(error)}`, error: true }),
    )
  }, [client, onJoined])
  if (!message) return null
  return (
    <p className={message.error ? 'note error' : 'note'} role={message.error ? 'alert' : 'status'}>
      {message.text}
    </p>
  )
}
