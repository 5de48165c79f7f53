import type { Space } from '@tidings/client'
import { type FormEvent, useState } from 'react'
import { inWords } from './errors.ts'
import type { LibraryClient } from './library-client.ts'

/** Creates a shared library (the user is its owner) and hands it to `onCreated`. */
export function NewLibrary(props: { client: LibraryClient; onCreated: (space: Space) => void }) {
  const [name, setName] = useState('')
  const [error, setError] = useState<string | null>(null)
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    try {
      const space = await props.client.createSpace(name.trim())
      setName('')
      setError(null)
      props.onCreated(space)
    } catch (caught) {
      setError(inWords(caught))
    }
  }
  return (
    <form className="inline" aria-label="New shared library" onSubmit={submit}>
      <input
        aria-label="Library name"
        placeholder="Name of a new shared library"
        value={name}
        required
        onChange={(event) => setName(event.target.value)}
      />
      <button type="submit">New shared library</button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  )
}
