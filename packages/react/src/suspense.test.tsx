import { type Client, defineSchema, openClient, t } from '@tidings/client'
import { openNodeDatabase } from '@tidings/client/node'
import { Suspense } from 'react'
import { renderToString } from 'react-dom/server'
import { prerender } from 'react-dom/static'
import { describe, expect, it, vi } from 'vitest'
import { type ObservableClient, TidingsProvider } from './context.js'
import { useSuspenseQuery } from './hooks.js'
import { liveQuery, UNSUBSCRIBED_TTL_MS } from './live-query.js'

// useSuspenseQuery on the server renderers (no DOM here): renderToString cannot wait and shows
// the fallback; prerender waits for the suspended query, as a streaming render does.
const schema = defineSchema({ document: { author: t.string(), title: t.string() } })
type Library = typeof schema.types
const open = (): Promise<Client<Library>> =>
  openClient({ schema, database: openNodeDatabase(':memory:') })

function Titles() {
  const docs = useSuspenseQuery<'document'>('document', { orderBy: { title: 'asc' } })
  return (
    <ul>
      {docs.map((doc) => (
        <li key={doc.id}>{String(doc.title)}</li>
      ))}
    </ul>
  )
}

const page = (client: ObservableClient) => (
  <TidingsProvider client={client}>
    <Suspense fallback={<p>loading</p>}>
      <Titles />
    </Suspense>
  </TidingsProvider>
)

const text = async (stream: ReadableStream<Uint8Array>) => new Response(stream).text()

describe('useSuspenseQuery', () => {
  it('suspends until the first rows arrive, then renders them (never undefined)', async () => {
    const client = await open()
    await client.create('document', { author: 'Ada', title: 'B' })
    await client.create('document', { author: 'Ada', title: 'A' })
    const { prelude } = await prerender(page(client))
    const html = await text(prelude)
    expect(html).toContain('<ul><li>A</li><li>B</li></ul>')
    expect(html).not.toContain('loading')
    await client.close()
  })

  it('shows the Suspense fallback where the renderer cannot wait (renderToString)', async () => {
    const client = await open()
    expect(renderToString(page(client))).toContain('<p>loading</p>')
    await client.close()
  })

  it('an empty result is a result: it renders an empty list, not the fallback forever', async () => {
    const client = await open()
    const { prelude } = await prerender(page(client))
    expect(await text(prelude)).toContain('<ul></ul>')
    await client.close()
  })

  it('the first-rows promise holds its live query a while, so the retried render finds the rows', async () => {
    const client = await open()
    await client.create('document', { author: 'Ada', title: 'A' })
    vi.useFakeTimers()
    try {
      const store = liveQuery(client, 'document', {})
      const ready = store.ready()
      expect(store.ready()).toBe(ready) // one promise per live query, as `use` wants
      await vi.advanceTimersByTimeAsync(0)
      expect(await ready).toHaveLength(1)
      // The suspended component never subscribed; its retry gets the same query, rows in hand.
      expect(liveQuery(client, 'document', {})).toBe(store)
      expect(store.getSnapshot()).toHaveLength(1)
      await vi.advanceTimersByTimeAsync(UNSUBSCRIBED_TTL_MS)
      // Nobody subscribed meanwhile: released and forgotten like any unused query.
      expect(liveQuery(client, 'document', {})).not.toBe(store)
    } finally {
      vi.useRealTimers()
    }
    await client.close()
  })
})
