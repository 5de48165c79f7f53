import type { Space } from '@tidings/client'
import { type FormEvent, useState } from 'react'
import { inWords } from './errors.ts'
import type { LibraryClient } from './library-client.ts'

/** Joins a shared library with an invite code someone gave the user. */
export function JoinLibrary(props: { client: LibraryClient; onJoined: (space: Space) => void }) {
  const [code, setCode] = useState('')
  const [error, setError] = useState<string | null>(null)
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    try {
      const space = await joinWith(props.client, code.trim())
      setCode('')
      setError(null)
      props.onJoined(space)
    } catch (caught) {
      setError(inWords(caught))
    }
  }
  return (
    <form className="inline" aria-label="Join a library" onSubmit={submit}>
      <input
        aria-label="Invite code"
        placeholder="Invite code"
        value={code}
        required
        onChange={(event) => setCode(event.target.value)}
      />
      <button type="submit">Join a library</button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  )
}

/** Accepts the code, then syncs at once so the library's documents arrive without waiting. */
export async function joinWith(client: LibraryClient, code: string): Promise<Space> {
  const space = await client.acceptInvite(code)
  client.sync().catch(() => {}) // the status bar shows a failed sync; automatic sync retries
  return space
}
