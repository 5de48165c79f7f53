import { type Client, defineSchema, openClient, type Space, t } from '@tidings/client'
import { openNodeDatabase } from '@tidings/client/node'
import { renderToString } from 'react-dom/server'
import { describe, expect, it, vi } from 'vitest'
import { type ObservableClient, TidingsProvider } from './context.js'
import { useEntity, useQuery, useSpaces, useSyncStatus } from './hooks.js'
import { liveQuery, UNSUBSCRIBED_TTL_MS } from './live-query.js'
import { spacesStore } from './spaces-store.js'

// No DOM here (neither jsdom nor happy-dom is installed): React renders on the server renderer,
// which reads each hook's server snapshot, always "not loaded" (hydration must match it). What
// a browser renders next is each hook's client snapshot: the shared live query's rows, the
// client's status, the spaces store's list, asserted directly. The example app's e2e tests
// watch the hooks re-render in Chromium.
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

function Spaces() {
  const spaces = useSpaces()
  return <p>{spaces.map((s) => `${s.name}:${s.role}`).join(',') || 'none'}</p>
}

function SpacesCount() {
  return <p>{useSpaces().length}</p>
}

const render = (client: ObservableClient, node: React.ReactNode) =>
  renderToString(<TidingsProvider client={client}>{node}</TidingsProvider>)

describe('@tidings/react', () => {
  it('useQuery shows the rows of the shared live query, and "loading" on the server', async () => {
    const client = await open()
    const query = { orderBy: { title: 'asc' } }
    expect(liveQuery(client, 'document', query).getSnapshot()).toBeUndefined()
    await client.create('document', { author: 'Ada', title: 'B' })
    await client.create('document', { author: 'Ada', title: 'A' })
    const off = await until(client, 'document', query, (rows) => rows.length === 2)
    const titles = liveQuery(client, 'document', query)
      .getSnapshot()
      ?.map((row) => (row as { title: string }).title)
    expect(titles).toEqual(['A', 'B'])
    // The client holds the rows, yet the server render (and hydration) shows "not loaded".
    expect(render(client, <Titles />)).toBe('<p>loading</p>')
    off()
  })

  it('on the server every hook renders its "not loaded" value, whatever the client holds', async () => {
    const client = await open()
    const doc = await client.create('document', { author: 'Ada', title: 'Notes' })
    const off = await until(client, 'document', {}, (rows) => rows.length === 1)
    expect(client.status.pending).toBe(1)
    const page = render(
      client,
      <>
        <Titles />
        <Title id={doc.id} />
        <Status />
        <SpacesCount />
      </>,
    )
    expect(page).toBe('<p>loading</p><p>loading</p><p>idle 0 pending 0 refused</p><p>0</p>')
    off()
    await client.close()
  })

  it('a provider given the next user’s client shows that client’s rows only, never the last user’s', async () => {
    // Switching users: the app signs the last one out and renders the next one's client.
    const ann = await open()
    await ann.create('document', { author: 'Ann', title: 'ann’s' })
    const query = { orderBy: { title: 'asc' } }
    const off = await until(ann, 'document', query, (r) => r.length === 1)
    expect(liveQuery(ann, 'document', query).getSnapshot()).toHaveLength(1)
    off()
    await ann.signOut()
    // Live queries are per client: the next user's starts "not loaded", then shows theirs.
    const bob = await open()
    expect(liveQuery(bob, 'document', query).getSnapshot()).toBeUndefined()
    const none = await until(bob, 'document', query, () => true)
    expect(liveQuery(bob, 'document', query).getSnapshot()).toEqual([])
    none()
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

  it('a live query made by a render that never committed leaves the cache; a subscribed one stays', async () => {
    vi.useFakeTimers()
    try {
      const client = await open()
      const discarded = liveQuery(client, 'document', { where: { author: 'nobody' } })
      const kept = liveQuery(client, 'document', { where: { author: 'Ada' } })
      const off = kept.subscribe(() => {})
      await vi.advanceTimersByTimeAsync(UNSUBSCRIBED_TTL_MS)
      expect(liveQuery(client, 'document', { where: { author: 'nobody' } })).not.toBe(discarded)
      expect(liveQuery(client, 'document', { where: { author: 'Ada' } })).toBe(kept)
      off()
    } finally {
      vi.useRealTimers()
    }
  })

  it('useEntity follows one entity (its live query of one row), then none once it is deleted', async () => {
    const client = await open()
    const doc = await client.create('document', { author: 'Ada', title: 'Notes' })
    const query = { where: { id: doc.id }, limit: 1 }
    const off = await until(client, 'document', query, (rows) => rows.length === 1)
    expect(liveQuery(client, 'document', query).getSnapshot()).toMatchObject([{ title: 'Notes' }])
    const gone = until(client, 'document', query, (rows) => rows.length === 0)
    await client.delete('document', doc.id)
    ;(await gone)()
    // No row: useEntity shows null ("gone"), not undefined ("loading").
    expect(liveQuery(client, 'document', query).getSnapshot()).toEqual([])
    off()
  })

  it('useSyncStatus shows the state and the pending count (its client snapshot: client.status)', async () => {
    const client = await open()
    expect(client.status).toMatchObject({ state: 'idle', pending: 0, rejected: 0 })
    const changes: number[] = []
    const off = client.onStatus((status) => changes.push(status.pending))
    await client.create('document', { author: 'Ada', title: 'unsynced' })
    expect(client.status).toMatchObject({ state: 'idle', pending: 1 })
    expect(changes).toContain(1)
    off()
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
    expect(client.status).toMatchObject({ pending: 0, rejected: 1 })
    await client.close()
    raw.close()
  })

  it("useSpaces renders the device's spaces and follows changes to the list", async () => {
    // A stand-in for a client syncing with a server that speaks spaces: the hook's contract is
    // cachedSpaces + observeSpaces (+ one spaces() request), which both real clients offer.
    const lib: Space = { id: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', name: 'Lib', role: 'writer' }
    const listeners = new Set<(spaces: Space[]) => void>()
    let current: Space[] = []
    let asked = 0
    const base = await open()
    const client: ObservableClient = {
      observe: (type, query, cb) => base.observe(type as 'document', query, cb),
      get status() {
        return base.status
      },
      onStatus: (listener) => base.onStatus(listener),
      cachedSpaces: () => current,
      observeSpaces: (cb) => {
        listeners.add(cb)
        return () => listeners.delete(cb)
      },
      spaces: async () => {
        asked += 1
        return current
      },
    }
    expect(render(client, <Spaces />)).toBe('<p>none</p>')
    const store = spacesStore(client)
    let changes = 0
    const off = store.subscribe(() => {
      changes += 1
    })
    expect(asked).toBe(1)
    current = [lib]
    for (const listener of listeners) listener(current)
    expect(changes).toBe(1)
    expect(store.getSnapshot()).toEqual([lib])
    // The server render shows none, whatever the device heard of (hydration shows the same).
    expect(render(client, <Spaces />)).toBe('<p>none</p>')
    // The same list again is no change (no re-render).
    for (const listener of listeners) listener([{ ...lib }])
    expect(changes).toBe(1)
    off()
    expect(listeners.size).toBe(0)
    await base.close()
  })

  it('useSpaces on a client without a server shows the (empty) list it has', async () => {
    const client = await open()
    expect(spacesStore(client).getSnapshot()).toEqual([])
    expect(render(client, <SpacesCount />)).toBe('<p>0</p>')
    await client.close()
  })

  it('hooks outside a provider throw a TidingsError', () => {
    expect(() => renderToString(<Status />)).toThrow(/TidingsProvider/)
  })
})
