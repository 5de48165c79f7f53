import {
  type BrowserClient,
  openBrowserClient,
  type StoragePreference,
} from '@tidings/client/browser'
import { TidingsProvider } from '@tidings/react'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App.tsx'
import type { Library } from './schema.ts'
import './styles.css'

declare global {
  interface Window {
    /** The open client, for the console and the measurement scripts. */
    tidings?: BrowserClient<Library>
  }
}

const root = createRoot(document.getElementById('root')!)

let slow: ReturnType<typeof setTimeout> | undefined
let opening = true

const startWorker = () =>
  new Worker(new URL('./tidings.worker.ts', import.meta.url), { type: 'module', name: 'tidings' })

async function start(): Promise<void> {
  root.render(<p className="splash">Opening the library…</p>)
  // Every tab is live: one tab's worker owns the database and the others work through it.
  slow = setTimeout(() => {
    root.render(<p className="splash">Still opening…</p>)
  }, 4_000)
  // The worker starts compiling SQLite while the token is fetched.
  const worker = startWorker()
  // The server hands its demo token to the app it serves (`tidings serve --demo`).
  // `?user=friend` signs in as the demo's second user, to try sharing in a second profile.
  const params = new URLSearchParams(location.search)
  const asked = params.get('user')
  const response = await fetch(
    asked ? `/config.json?user=${encodeURIComponent(asked)}` : '/config.json',
  )
  if (!response.ok) throw new Error(`GET /config.json answered ${response.status}`)
  const { token, user } = (await response.json()) as { token: string; user: string }
  performance.mark('library:config')
  const storage = (params.get('storage') ?? 'auto') as StoragePreference
  // A worker that fails to load says so once, maybe before the proxy listens.
  const failed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (event) => reject(new Error(`worker: ${event.message}`)))
  })
  failed.catch(() => {})
  const client = await Promise.race([
    openBrowserClient<Library>({
      // A function, so that a frozen tab owning the database can hand it over and start a new
      // worker when it resumes; the first call takes the worker already started.
      worker: () => {
        if (!opening) return startWorker()
        opening = false
        return worker
      },
      // One database per user, so the two demo users can take turns in one browser.
      name: asked ? `library-${user}` : 'library',
      storage,
      server: { url: location.origin, token, intervalMs: 5_000 },
    }),
    failed,
  ])
  clearTimeout(slow)
  performance.mark('library:opened')
  client.startSync()
  window.tidings = client
  root.render(
    <StrictMode>
      <TidingsProvider client={client}>
        <App client={client} storage={client.storage} user={user} />
      </TidingsProvider>
    </StrictMode>,
  )
}

start().catch((error: unknown) => {
  clearTimeout(slow)
  console.error(error)
  root.render(
    <p className="splash error" role="alert">
      The library could not open: {error instanceof Error ? error.message : String(error)}
    </p>,
  )
})
