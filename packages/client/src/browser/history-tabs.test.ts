import { isTidingsError } from '@tidings/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import type { Client } from '../api/types.js'
import { BrowserTabs } from '../test/browser-tabs.js'
import { internals, type LibrarySchema } from '../test/fixtures.js'
import type { HostedClient } from './serve.js'

// History through the worker (issue 16): `history`, `asOf` and `truncateLog` from a tab that
// does not own the database answer what the owner's client answers.
let tabs = new BrowserTabs()
afterEach(async () => {
  await tabs.close()
  tabs = new BrowserTabs()
})

/** Opens the owning tab and keeps its client (the one in its worker) to compare with. */
const ownerAndOther = async () => {
  let owner: Client<LibrarySchema> | null = null
  const a = await tabs.open({
    wrap: (client: HostedClient) => {
      owner = client as unknown as Client<LibrarySchema>
      return client
    },
  })
  const b = await tabs.open()
  expect(b.client.status.connection).toBe('another-tab')
  return { a, b, owner: owner as unknown as Client<LibrarySchema> }
}

describe('history in the browser client', () => {
  it('answers history and asOf from another tab as the owner does, Dates and all', async () => {
    const { b, owner } = await ownerAndOther()
    const shelf = await b.client.create('shelf', { name: 'Poetry', opened: new Date(1_000) })
    const book = await b.client.create('book', { title: 'Odes', pages: 80, shelf: shelf.id })
    await b.client.update('book', book.id, { title: 'Odes, revised', pages: 96 })

    const history = await b.client.history('book', book.id)
    expect(history).toEqual(await owner.history('book', book.id))
    expect(history.events.map((e) => e.value)).toEqual(['Odes', 80, shelf.id, 'Odes, revised', 96])
    expect(history.events[0]!.time).toBeInstanceOf(Date)
    expect(await b.client.history('book', book.id, { attribute: 'pages' })).toEqual(
      await owner.history('book', book.id, { attribute: 'pages' }),
    )

    const created = history.events[2]!.hlc
    const then = b.client.asOf(created)
    expect(then.at).toBe(created)
    expect(then.truncatedBefore).toBeUndefined()
    expect(await then.get('book', book.id)).toEqual(book)
    expect(await then.get('book', book.id)).toEqual(await owner.asOf(created).get('book', book.id))
    const query = { where: { shelf: shelf.id }, orderBy: { title: 'asc' as const } }
    expect(await then.fetch('book', query)).toEqual([book])
    expect(await then.fetch('book')).toEqual(await owner.asOf(created).fetch('book'))
    // A date read back from the past is a Date, as from `get`.
    expect((await then.get('shelf', shelf.id))?.opened).toEqual(new Date(1_000))
    // A Date bound is turned into the same bound on the page as in the worker.
    const later = new Date(Date.now() + 60_000)
    expect(b.client.asOf(later).at).toBe(owner.asOf(later).at)
    expect(await b.client.asOf(later).fetch('book')).toEqual(await b.client.fetch('book'))
  })

  it('checks arguments at the boundary with bad_request', async () => {
    const { b } = await ownerAndOther()
    expect(() => b.client.asOf('yesterday')).toThrow(/not an HLC/)
    const view = b.client.asOf(new Date())
    const refused = async (read: Promise<unknown>) =>
      expect(isTidingsError(await read.catch((e: unknown) => e), 'bad_request')).toBe(true)
    await refused(view.get('book', 42 as never))
    await refused(view.fetch('book', 'all' as never))
    await refused(view.get('nothing' as never, 'x'))
    await refused(b.client.history('book', 42 as never))
    await refused(b.client.truncateLog({}))
  })

  it('truncates the log from another tab and reports truncatedBefore as the owner does', async () => {
    const { a, b, owner } = await ownerAndOther()
    const doc = await b.client.create('document', { author: 'Ada', title: 'v1' })
    const created = (await b.client.history('document', doc.id)).events.at(-1)!.hlc
    await b.client.update('document', doc.id, { title: 'v2' })
    const store = internals(owner).store
    store.sql.transaction(() => store.acknowledge(store.bundleIds()))

    const truncated = await b.client.truncateLog({ keepBytes: 0 })
    expect(truncated).toMatchObject({ dropped: 1 })
    expect(truncated.horizon).toBeDefined()
    const history = await b.client.history('document', doc.id)
    expect(history.truncatedBefore).toBe(truncated.horizon)
    expect(history).toEqual(await owner.history('document', doc.id))

    // A view before the horizon says so, on this tab at once and on the owner's own page.
    expect(b.client.asOf(created).truncatedBefore).toBe(truncated.horizon)
    expect(b.client.asOf(truncated.horizon!).truncatedBefore).toBeUndefined()
    await a.client.fetch('document') // a round trip: the horizon streamed before its answer
    expect(a.client.asOf(created).truncatedBefore).toBe(owner.asOf(created).truncatedBefore)
    expect(a.client.asOf(created).truncatedBefore).toBe(truncated.horizon)
    expect(await b.client.asOf(created).get('document', doc.id)).toEqual(
      await owner.asOf(created).get('document', doc.id),
    )

    // A tab opened after the cut learns the horizon with its `open` answer.
    const c = await tabs.open()
    expect(c.client.asOf(created).truncatedBefore).toBe(truncated.horizon)
  })

  it('sends history reads in flight again to the next owner after a hand-over', async () => {
    let asked: () => void = () => {}
    const hanging = new Promise<void>((resolve) => (asked = resolve))
    // The owner hears the reads, then dies without answering them.
    const wrap = (client: HostedClient): HostedClient =>
      new Proxy(client, {
        get(target, key) {
          const value = Reflect.get(target, key, target)
          if (typeof value !== 'function') return value
          if (key !== 'history') return value.bind(target)
          return () => {
            asked()
            return new Promise(() => {})
          }
        },
      })
    const a = await tabs.open({ wrap })
    const b = await tabs.open()
    const doc = await b.client.create('document', { author: 'Ada', title: 'Kept' })
    const read = b.client.history('document', doc.id)
    await hanging
    await a.kill()
    const { events } = await read
    expect(events.map((e) => e.value)).toEqual(['Ada', 'Kept'])
    expect(b.client.status.connection).toBe('this-tab')
    expect((await b.client.asOf(events[1]!.hlc).get('document', doc.id))?.title).toBe('Kept')
  })
})
