import { type Client, defineSchema, openClient, t } from '@tidings/client'
import { openNodeDatabase } from '@tidings/client/node'
import { renderToString } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { type ObservableClient, TidingsProvider } from './context.js'
import { useEntity, useQuery, useSyncStatus } from './hooks.js'
import { liveQuery } from './live-query.js'

// No DOM here (jsdom is not installed): React renders on the server renderer, which reads each
// hook's current snapshot. That the snapshots follow changes is asserted on the shared live
// query directly; the example app's e2e tests watch the hooks re-render in Chromium.
const schema = defineSchema({ document: { author: t.string(), title: t.string() } })
type Library = typeof schema.types
const open = (): Promise<Client<Library>> =>
  openClient({ schema, database: openNodeDatabase(':memory:') })

/** Subscribes to the shared live query until its rows satisfy `done`. */
const until = (
  client: ObservableClient,
  type: string,
  query: object,
  done: (rows: unknown[]) => boolean,
) =>
  new Promise<() => void>((resolve) => {
    const store = liveQuery(client, type, query)
    const off = store.subscribe(() => {
      if (done(store.getSnapshot() ?? [])) resolve(off)
    })
  })

function Titles() {
  const docs = useQuery<'document'>('document', { orderBy: { title: 'asc' } })
  if (docs === undefined) return <p>loading</p>
  return (
    <ul>
      {docs.map((doc) => (
        <li key={doc.id}>{String(doc.title)}</li>
      ))}
    </ul>
  )
}

function Title(props: { id: string }) {
  const doc = useEntity<'document'>('document', props.id)
  return <p>{doc === undefined ? 'loading' : doc === null ? 'gone' : String(doc.title)}</p>
}

function Status() {
  const status = useSyncStatus()
  return <p>{`${status.state} ${status.pending} pending ${status.rejected} refused`}</p>
}

const render = (client: ObservableClient, node: React.ReactNode) =>
  renderToString(<TidingsProvider client={client}>{node}</TidingsProvider>)

describe('@tidings/react', () => {
  it('useQuery renders loading, then the rows of the shared live query', async () => {
    const client = await open()
    expect(render(client, <Titles />)).toBe('<p>loading</p>')
    await client.create('document', { author: 'Ada', title: 'B' })
    await client.create('document', { author: 'Ada', title: 'A' })
    const off = await until(
      client,
      'document',
      { orderBy: { title: 'asc' } },
      (rows) => rows.length === 2,
    )
    expect(render(client, <Titles />)).toBe('<ul><li>A</li><li>B</li></ul>')
    off()
  })

  it('the live query follows writes until its last listener leaves', async () => {
    const client = await open()
    const off = await until(client, 'document', {}, () => true)
    const store = liveQuery(client, 'document', {})
    expect(store.getSnapshot()).toEqual([])
    const arrived = until(client, 'document', {}, (rows) => rows.length === 1)
    await client.create('document', { author: 'Ada', title: 'new' })
    ;(await arrived)()
    expect(store.getSnapshot()).toHaveLength(1)
    off()
    // Forgotten after the last listener: the next use starts a fresh subscription.
    expect(liveQuery(client, 'document', {})).not.toBe(store)
  })

  it('useEntity renders one entity, then null once it is deleted', async () => {
    const client = await open()
    const doc = await client.create('document', { author: 'Ada', title: 'Notes' })
    const query = { where: { id: doc.id }, limit: 1 }
    const off = await until(client, 'document', query, (rows) => rows.length === 1)
    expect(render(client, <Title id={doc.id} />)).toBe('<p>Notes</p>')
    const gone = until(client, 'document', query, (rows) => rows.length === 0)
    await client.delete('document', doc.id)
    ;(await gone)()
    expect(render(client, <Title id={doc.id} />)).toBe('<p>gone</p>')
    off()
  })

  it('useSyncStatus shows the state and the pending count', async () => {
    const client = await open()
    expect(render(client, <Status />)).toBe('<p>idle 0 pending 0 refused</p>')
    await client.create('document', { author: 'Ada', title: 'unsynced' })
    expect(render(client, <Status />)).toBe('<p>idle 1 pending 0 refused</p>')
  })

  it('useSyncStatus counts the changes the server refused, kept across restarts', async () => {
    const raw = openNodeDatabase(':memory:')
    // One database across two sessions: closing a client must not close it.
    const database = { prepare: (sql: string) => raw.prepare(sql), close: () => {} }
    const first = await openClient({ schema, database })
    await first.close()
    // A refusal recorded by an earlier session (the sync tests produce real ones).
    raw
      .prepare('INSERT INTO rejected (bundle, code, message, rejected_at) VALUES (?, ?, ?, ?)')
      .run(['0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', 'conflict', 'id taken', 1])
    const client = await openClient({ schema, database })
    expect(render(client, <Status />)).toBe('<p>idle 0 pending 1 refused</p>')
    await client.close()
    raw.close()
  })

  it('hooks outside a provider throw a TidingsError', () => {
    expect(() => renderToString(<Status />)).toThrow(/TidingsProvider/)
  })
})
