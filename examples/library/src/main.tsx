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

async function start(): Promise<void> {
  root.render(<p className="splash">Opening the library…</p>)
  // One tab at a time owns the database; another one waits here until that tab closes.
  slow = setTimeout(() => {
    root.render(
      <p className="splash">
        Still opening… if the library is open in another tab, close it there.
      </p>,
    )
  }, 4_000)
  // The worker starts compiling SQLite while the token is fetched.
  const worker = new Worker(new URL('./tidings.worker.ts', import.meta.url), {
    type: 'module',
    name: 'tidings',
  })
  // The server hands its demo token to the app it serves (`tidings serve --demo`).
  const response = await fetch('/config.json')
  if (!response.ok) throw new Error(`GET /config.json answered ${response.status}`)
  const { token } = (await response.json()) as { token: string }
  performance.mark('library:config')
  const storage = (new URLSearchParams(location.search).get('storage') ??
    'auto') as StoragePreference
  // A worker that fails to load says so once, maybe before the proxy listens.
  const failed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (event) => reject(new Error(`worker: ${event.message}`)))
  })
  failed.catch(() => {})
  const client = await Promise.race([
    openBrowserClient<Library>({
      worker,
      name: 'library',
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
        <App client={client} storage={client.storage} />
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
