import { type BrowserClient, openBrowserClient } from '@tidings/client/browser'
import { TidingsProvider, useQuery } from '@tidings/react'
import { type FormEvent, StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import type { AppSchema } from './schema.ts'

type Client = BrowserClient<AppSchema>

function Notes(props: { client: Client }) {
  const notes = useQuery('note', { orderBy: { text: 'asc' } }) // undefined while loading
  const add = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const input = event.currentTarget.elements.namedItem('text') as HTMLInputElement
    await props.client.create('note', { text: input.value })
    input.value = ''
  }
  return (
    <main>
      <form aria-label="New note" onSubmit={add}>
        <input name="text" aria-label="Text" placeholder="A note" required />
        <button type="submit">Add</button>
      </form>
      <ul aria-label="Notes">
        {notes?.map((note) => (
          <li key={note.id}>{note.text}</li>
        ))}
      </ul>
    </main>
  )
}

async function start(): Promise<void> {
  const worker = new Worker(new URL('./tidings.worker.ts', import.meta.url), { type: 'module' })
  // `tidings serve --demo` hands its (public, insecure) demo token to the app; a real app signs
  // its user in and gets a token from `npx tidings user add NAME`.
  const { token } = (await (await fetch('/config.json')).json()) as { token: string }
  const client = await openBrowserClient<AppSchema>({
    worker,
    // One database per tab (a database has one owner at a time), so two tabs are two devices.
    name: tabName(),
    server: { url: location.origin, token },
  })
  client.startSync()
  createRoot(document.getElementById('root') as HTMLElement).render(
    <StrictMode>
      <TidingsProvider client={client}>
        <Notes client={client} />
      </TidingsProvider>
    </StrictMode>,
  )
}

/** A name kept for this tab across reloads (sessionStorage is per tab). */
function tabName(): string {
  const name = sessionStorage.getItem('tidings-db') ?? `notes-${crypto.randomUUID()}`
  sessionStorage.setItem('tidings-db', name)
  return name
}

start().catch((error: unknown) => {
  document.body.textContent = `The app could not start: ${String(error)}`
})
