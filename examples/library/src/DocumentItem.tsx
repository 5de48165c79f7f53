import type { EntityOfType } from '@tidings/react'
import { type FormEvent, memo, useState } from 'react'
import { FieldInputs } from './DocumentFields.tsx'
import type { DocumentFields, LibraryClient } from './library-client.ts'

type Doc = EntityOfType<'document'>

/** One document: shown as a card, or as a form while being edited. */
export const DocumentItem = memo(function DocumentItem(props: {
  client: LibraryClient
  document: Doc
}) {
  const { client, document: doc } = props
  const [editing, setEditing] = useState<DocumentFields | null>(null)
  const [error, setError] = useState<string | null>(null)
  const fail = (caught: unknown) =>
    setError(caught instanceof Error ? caught.message : String(caught))

  const save = async (event: FormEvent) => {
    event.preventDefault()
    if (!editing) return
    const url = editing.url.trim()
    try {
      await client.update('document', doc.id, {
        title: editing.title.trim(),
        author: editing.author.trim(),
        url: url === '' ? null : url,
      })
      setEditing(null)
      setError(null)
    } catch (caught) {
      fail(caught)
    }
  }

  return (
    <li className="card doc" aria-label={doc.title}>
      {editing ? (
        <form aria-label={`Edit ${doc.title}`} onSubmit={save}>
          <FieldInputs value={editing} onChange={setEditing} focusTitle />
          <div className="actions">
            <button type="submit" className="primary">
              Save
            </button>
            <button type="button" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <div className="view">
          <div className="text">
            <h3 className="title">
              {doc.url ? (
                <a href={doc.url} target="_blank" rel="noreferrer">
                  {doc.title}
                </a>
              ) : (
                doc.title
              )}
            </h3>
            <p className="author">{doc.author}</p>
            {doc.url && <p className="url">{host(doc.url)}</p>}
          </div>
          <div className="actions">
            <button
              type="button"
              onClick={() =>
                setEditing({ title: doc.title, author: doc.author, url: doc.url ?? '' })
              }
            >
              Edit
            </button>
            <button
              type="button"
              className="danger"
              onClick={() => client.delete('document', doc.id).catch(fail)}
            >
              Delete
            </button>
          </div>
        </div>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </li>
  )
}, same)

/** Every sync re-sends all rows as new objects; only a changed document re-renders. */
function same(
  a: { client: LibraryClient; document: Doc },
  b: { client: LibraryClient; document: Doc },
) {
  const x = a.document
  const y = b.document
  return (
    a.client === b.client &&
    x.id === y.id &&
    x.title === y.title &&
    x.author === y.author &&
    x.url === y.url
  )
}

const host = (url: string): string => {
  try {
    return new URL(url).host
  } catch {
    return url
  }
}
