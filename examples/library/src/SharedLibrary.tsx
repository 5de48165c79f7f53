import type { Space } from '@tidings/client'
import { useState } from 'react'
import { inWords } from './errors.ts'
import { InviteCode } from './InviteCode.tsx'
import type { LibraryClient } from './library-client.ts'
import { Members } from './Members.tsx'

/** The chosen shared library: invite, members, leave. */
export function SharedLibrary(props: {
  client: LibraryClient
  space: Space
  me: string | undefined
  onLeft: () => void
}) {
  const { client, space } = props
  const [error, setError] = useState<string | null>(null)
  const leave = async () => {
    try {
      await client.leaveSpace(space.id)
      props.onLeft()
    } catch (caught) {
      setError(inWords(caught))
    }
  }
  return (
    <section className="card shared" aria-label={`Shared library ${space.name}`}>
      <h2>
        {space.name} <span className="muted">you are {space.role}</span>
      </h2>
      {space.role === 'owner' && <InviteCode key={space.id} client={client} space={space.id} />}
      <Members key={space.id} client={client} space={space} me={props.me} />
      <button type="button" onClick={leave}>
        Leave
      </button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  )
}
