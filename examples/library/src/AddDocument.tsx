import { type FormEvent, useState } from 'react'
import { FieldInputs } from './DocumentFields.tsx'
import { inWords } from './errors.ts'
import type { DocumentFields, LibraryClient } from './library-client.ts'

const EMPTY: DocumentFields = { title: '', author: '', url: '' }

/** The new document goes to `space` (null: My library, the private space). */
export function AddDocument(props: { client: LibraryClient; space: string | null }) {
  const [fields, setFields] = useState(EMPTY)
  const [error, setError] = useState<string | null>(null)
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    const url = fields.url.trim()
    try {
      await props.client.create(
        'document',
        {
          title: fields.title.trim(),
          author: fields.author.trim(),
          ...(url ? { url } : {}),
        },
        { space: props.space },
      )
      setFields(EMPTY)
      setError(null)
    } catch (caught) {
      setError(inWords(caught))
    }
  }
  return (
    <form className="card add" aria-label="New document" onSubmit={submit}>
      <h2>New document</h2>
      <FieldInputs value={fields} onChange={setFields} />
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="primary">
        Add document
      </button>
    </form>
  )
}
