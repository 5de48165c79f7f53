import type { BrowserStorage } from '@tidings/client/browser'
import { useSpaces } from '@tidings/react'
import { lazy, Suspense, useCallback } from 'react'
import { AddDocument } from './AddDocument.tsx'
import { useChosenLibrary } from './chosen-library.ts'
import { DocumentList } from './DocumentList.tsx'
import { InviteLink } from './InviteLink.tsx'
import { useInspectorToggle } from './inspector-toggle.ts'
import { Libraries } from './Libraries.tsx'
import type { LibraryClient } from './library-client.ts'
import { SharedLibrary } from './SharedLibrary.tsx'
import { SyncBar } from './SyncBar.tsx'
import { UndoButtons } from './UndoButtons.tsx'

/** Loaded only when opened: production builds that never open it never fetch its code. */
const Inspector = lazy(() => import('./Inspector.tsx'))

export function App(props: { client: LibraryClient; storage: BrowserStorage; user: string }) {
  const spaces = useSpaces()
  const shared = spaces.filter((space) => !space.private)
  const { current, choose, lost } = useChosenLibrary(shared)
  const me = spaces.find((space) => space.private)?.id
  const joined = useCallback((space: { id: string }) => choose(space.id), [choose])
  const [inspecting, setInspecting] = useInspectorToggle()
  return (
    <main className="app">
      <header className="top">
        <h1>Document Library</h1>
        <span className="muted">Signed in as {props.user}</span>
        <SyncBar client={props.client} />
        <UndoButtons />
      </header>
      {inspecting && (
        <Suspense fallback={<p className="muted">Opening the inspector…</p>}>
          <Inspector inspector={props.client.inspector()} onClose={() => setInspecting(false)} />
        </Suspense>
      )}
      <StorageNote storage={props.storage} />
      {lost && (
        <p className="note" role="status">
          You are no longer a member of {lost}; its documents are gone from this device.
        </p>
      )}
      <InviteLink client={props.client} onJoined={joined} />
      <Libraries
        client={props.client}
        shared={shared}
        value={current?.id ?? null}
        onChange={choose}
      />
      {current && (
        <SharedLibrary client={props.client} space={current} me={me} onLeft={() => choose(null)} />
      )}
      {current?.role === 'reader' ? (
        <p className="note">You can read this library; its owners can let you add documents.</p>
      ) : (
        <AddDocument client={props.client} space={current?.id ?? null} />
      )}
      <DocumentList client={props.client} space={current?.id ?? null} />
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
