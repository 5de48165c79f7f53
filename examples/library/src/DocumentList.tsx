import { useQuery } from '@tidings/react'
import { useEffect } from 'react'
import { DocumentItem } from './DocumentItem.tsx'
import type { LibraryClient } from './library-client.ts'

let measured = false

/** The documents of one library (`space` null: My library). */
export function DocumentList(props: { client: LibraryClient; space: string | null }) {
  const documents = useQuery('document', {
    space: props.space,
    orderBy: [{ title: 'asc' }, { id: 'asc' }],
  })
  useEffect(() => {
    // Time to first render of the stored documents, read by the measurement script.
    if (documents === undefined || measured) return
    measured = true
    performance.mark('library:first-render', { detail: { documents: documents.length } })
  }, [documents])

  if (documents === undefined) return <p className="muted">Loading documents…</p>
  return (
    <section className="list" aria-labelledby="documents-heading">
      <h2 id="documents-heading" tabIndex={-1}>
        Documents <span className="count">{documents.length}</span>
      </h2>
      {documents.length === 0 ? (
        <p className="muted">No documents yet. Add the first one above.</p>
      ) : (
        <ul aria-label="Documents">
          {documents.map((doc) => (
            <DocumentItem key={doc.id} client={props.client} document={doc} />
          ))}
        </ul>
      )}
    </section>
  )
}
