import type { BrowserStorage } from '@tidings/client/browser'
import { AddDocument } from './AddDocument.tsx'
import { DocumentList } from './DocumentList.tsx'
import type { LibraryClient } from './library-client.ts'
import { SyncBar } from './SyncBar.tsx'

export function App(props: { client: LibraryClient; storage: BrowserStorage }) {
  return (
    <main className="app">
      <header className="top">
        <h1>Document Library</h1>
        <SyncBar client={props.client} />
      </header>
      <StorageNote storage={props.storage} />
      <AddDocument client={props.client} />
      <DocumentList client={props.client} />
      <footer className="foot">
        Local-first with Tidings: changes save on this device at once and sync when online.
      </footer>
    </main>
  )
}

function StorageNote(props: { storage: BrowserStorage }) {
  if (props.storage === 'opfs') return null
  return props.storage === 'indexeddb' ? (
    <p className="note">This browser offers no OPFS; the library is kept in IndexedDB.</p>
  ) : (
    <p className="note warn" role="alert">
      This browser allows no storage: documents are kept in memory only and are lost when the page
      closes (unless they synced).
    </p>
  )
}
