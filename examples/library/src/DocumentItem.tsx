import type { EntityOfType } from '@tidings/react'
import { type FormEvent, memo, useEffect, useRef, useState } from 'react'
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
  /** The fields as the form opened with them: only what the user changed since is saved. */
  const [opened, setOpened] = useState<DocumentFields | null>(null)
  const [error, setError] = useState<string | null>(null)
  /** Delete asks first: a second, explicit button, with Keep (focused) to back out. */
  const [confirming, setConfirming] = useState(false)
  const editButton = useRef<HTMLButtonElement>(null)
  const keepButton = useRef<HTMLButtonElement>(null)
  /** Where focus goes when the form or the question closes: back to the card's Edit button. */
  const refocus = useRef(false)
  useEffect(() => {
    if (confirming) keepButton.current?.focus()
    else if (!editing && refocus.current) editButton.current?.focus()
    refocus.current = false
  }, [editing, confirming])
  const closeForm = () => {
    refocus.current = true
    setEditing(null)
  }
  const remove = async () => {
    try {
      await client.delete('document', doc.id)
      // The card is gone: focus goes to the list's heading, not to the page's body.
      document.getElementById('documents-heading')?.focus()
    } catch (caught) {
      setConfirming(false)
      fail(caught)
    }
  }
  const fail = (caught: unknown) =>
    setError(caught instanceof Error ? caught.message : String(caught))

  const save = async (event: FormEvent) => {
    event.preventDefault()
    if (!editing || !opened) return
    // Per-field merge is the point of the example: sending an unchanged author too would
    // overwrite another device's concurrent author change with the value this form showed.
    const changes: { title?: string; author?: string; url?: string | null } = {}
    if (editing.title.trim() !== opened.title) changes.title = editing.title.trim()
    if (editing.author.trim() !== opened.author) changes.author = editing.author.trim()
    if (editing.url.trim() !== opened.url) changes.url = editing.url.trim() || null
    try {
      if (Object.keys(changes).length > 0) await client.update('document', doc.id, changes)
      closeForm()
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
            <button type="button" onClick={closeForm}>
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
          {confirming ? (
            <fieldset className="actions confirm">
              <legend>Delete this document?</legend>
              <button type="button" className="danger" onClick={remove}>
                Yes, delete
              </button>
              <button
                type="button"
                ref={keepButton}
                onClick={() => {
                  refocus.current = true
                  setConfirming(false)
                }}
              >
                Keep
              </button>
            </fieldset>
          ) : (
            <div className="actions">
              {/* Named with the title: a screen reader's list of buttons is not 20 × "Edit". */}
              <button
                type="button"
                ref={editButton}
                aria-label={`Edit ${doc.title}`}
                onClick={() => {
                  const fields = { title: doc.title, author: doc.author, url: doc.url ?? '' }
                  setOpened(fields)
                  setEditing(fields)
                }}
              >
                Edit
              </button>
              <button
                type="button"
                className="danger"
                aria-label={`Delete ${doc.title}`}
                onClick={() => setConfirming(true)}
              >
                Delete
              </button>
            </div>
          )}
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
