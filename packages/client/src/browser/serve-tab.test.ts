import { isTidingsError } from '@tidings/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { BrowserTabs, type TestTab } from '../test/browser-tabs.js'
import { FakeSpacesServer } from '../test/fake-spaces-server.js'
import type { HostedClient } from './serve.js'

// Tabs of one profile in Node (see BrowserTabs): one tab's worker owns the database, the others
// work through it over a BroadcastChannel, and a hand-over follows the owner's Web Lock.
let tabs = new BrowserTabs()
afterEach(async () => {
  await tabs.close()
  tabs = new BrowserTabs()
})

/** The rows an observe delivers once they satisfy `done`. */
const rowsUntil = (tab: TestTab, done: (titles: string[]) => boolean) =>
  new Promise<string[]>((resolve) => {
    const off = tab.client.observe('document', { orderBy: { title: 'asc' } }, (rows) => {
      const titles = rows.map((row) => row.title)
      if (!done(titles)) return
      off()
      resolve(titles)
    })
  })

/**
 * A client whose `method` commits and then never answers: its tab dies between the commit and
 * the reply. `committed` resolves once the commit happened.
 */
const hangAfter = (method: string) => {
  let committed: () => void = () => {}
  const done = new Promise<void>((resolve) => (committed = resolve))
  const wrap = (client: HostedClient): HostedClient =>
    new Proxy(client, {
      get(target, key) {
        const value = Reflect.get(target, key, target)
        if (typeof value !== 'function') return value
        if (key !== method) return value.bind(target)
        return async (...args: unknown[]) => {
          await value.apply(target, args)
          committed()
          return await new Promise(() => {})
        }
      },
    })
  return { wrap, committed: done }
}

/** A round trip to the owner: every message sent before it has arrived. */
const roundTrip = (tab: TestTab) => tab.client.fetch('document')

describe('every tab live at once', () => {
  it('reads, writes and observes in every tab through the one that owns the database', async () => {
    const a = await tabs.open()
    const b = await tabs.open()
    expect(a.client.status.connection).toBe('this-tab')
    expect(b.client.status.connection).toBe('another-tab')
    expect(b.client.clientId).toBe(a.client.clientId)

    const seenInB = rowsUntil(b, (titles) => titles.length === 2)
    const seenInA = rowsUntil(a, (titles) => titles.length === 2)
    await a.client.create('document', { author: 'Ada', title: 'written in A' })
    const fromB = await b.client.create('document', { author: 'Ada', title: 'written in B' })
    expect(await seenInB).toEqual(['written in A', 'written in B'])
    expect(await seenInA).toEqual(['written in A', 'written in B'])
    expect(await a.client.get('document', fromB.id)).toEqual(fromB)
    await b.client.transaction(async (tx) => {
      await tx.update('document', fromB.id, { url: 'https://b.test' })
    })
    expect((await a.client.get('document', fromB.id))?.url).toBe('https://b.test')
    await roundTrip(b)
    expect(b.client.status.pending).toBe(3)
  })

  it('hands the database to another tab when the owner dies, and its live queries go on', async () => {
    const a = await tabs.open()
    const b = await tabs.open()
    await a.client.create('document', { author: 'Ada', title: 'before' })
    const seen = rowsUntil(b, (titles) => titles.includes('after'))
    await a.kill()
    await b.client.create('document', { author: 'Ada', title: 'after' })
    expect(await seen).toEqual(['after', 'before'])
    expect(b.client.status.connection).toBe('this-tab')
  })

  it('applies a create once when the owner died after committing it, before answering', async () => {
    const hang = hangAfter('create')
    const a = await tabs.open({ wrap: hang.wrap })
    const b = await tabs.open()
    const created = b.client.create('document', { author: 'Ada', title: 'once' })
    await hang.committed
    await a.kill()
    const doc = await created
    expect(await b.client.fetch('document')).toEqual([doc])
    expect(b.client.status.pending).toBe(1)
  })

  it('applies an update once when the owner died after committing it, before answering', async () => {
    const hang = hangAfter('update')
    const a = await tabs.open({ wrap: hang.wrap })
    const b = await tabs.open()
    const doc = await b.client.create('document', { author: 'Ada', title: 'draft' })
    const updated = b.client.update('document', doc.id, { title: 'final' })
    await hang.committed
    await a.kill()
    expect((await updated).title).toBe('final')
    await roundTrip(b)
    expect(b.client.status.pending).toBe(2)
  })

  it('fails a create with a caller-chosen id that may have committed with unavailable', async () => {
    const hang = hangAfter('create')
    const a = await tabs.open({ wrap: hang.wrap })
    const b = await tabs.open()
    const id = '0190c1d2-0000-7000-8000-000000000001'
    const created = b.client.create('document', { id, author: 'Ada', title: 'mine?' })
    await hang.committed
    await a.kill()
    const error = await created.catch((e: unknown) => e)
    expect(isTidingsError(error, 'unavailable')).toBe(true)
    expect((error as Error).message).toContain('get() it')
    expect((await b.client.get('document', id))?.title).toBe('mine?')
  })

  it('rolls back a transaction the dead owner held open, and says so', async () => {
    const a = await tabs.open()
    const b = await tabs.open()
    const failed = await b.client
      .transaction(async (tx) => {
        await tx.create('document', { author: 'Ada', title: 'half' })
        await a.kill()
        await tx.create('document', { author: 'Ada', title: 'other half' })
      })
      .catch((error: unknown) => error)
    expect(isTidingsError(failed, 'unavailable')).toBe(true)
    expect((failed as Error).message).toContain('nothing of it was written')
    expect(await b.client.fetch('document')).toEqual([])
  })

  it('a page being frozen ends its owning worker, another tab takes over, and it rejoins on resume', async () => {
    const page = new EventTarget()
    Object.assign(globalThis, { document: page })
    try {
      const a = await tabs.open({ restartable: true })
      const b = await tabs.open()
      await a.client.create('document', { author: 'Ada', title: 'before the freeze' })
      page.dispatchEvent(new Event('freeze'))
      await b.client.create('document', { author: 'Ada', title: 'while A was frozen' })
      expect(b.client.status.connection).toBe('this-tab')
      const seenInA = rowsUntil(a, (titles) => titles.length === 3)
      page.dispatchEvent(new Event('resume'))
      await a.client.create('document', { author: 'Ada', title: 'after the resume' })
      expect(await seenInA).toEqual(['after the resume', 'before the freeze', 'while A was frozen'])
      expect(a.client.status.connection).toBe('another-tab')
    } finally {
      Reflect.deleteProperty(globalThis, 'document')
    }
  })
})

describe('the inspector in every tab', () => {
  it('answers in any tab from the client of the tab that owns the database', async () => {
    const fake = new FakeSpacesServer()
    const ada = await fake.addUser('Ada')
    const server = { url: fake.url, token: ada.token, fetch: fake.fetch, attempts: 1 }
    const a = await tabs.open({ server })
    const b = await tabs.open({ server })
    const doc = await a.client.create('document', { author: 'Ada', title: 'Notes' })
    const seen = rowsUntil(b, (titles) => titles.length === 1)
    await seen

    const inspector = b.client.inspector()
    const { events } = await inspector.events({ type: 'document', id: doc.id })
    expect(events.find((e) => e.attribute === 'title')).toMatchObject({
      value: 'Notes',
      local: true,
      hlc: { node: a.client.clientId, counter: expect.any(Number) },
    })
    expect(await inspector.history('document', doc.id)).toHaveLength(1)
    expect((await inspector.outbox()).total).toBe(1)
    // The owner runs every tab's live queries: B's shows here, from either tab.
    b.client.observe('document', { where: { author: 'Ada' } }, () => {})
    await roundTrip(b)
    expect((await a.client.inspector().liveQueries()).map((q) => q.query)).toContainEqual({
      where: { author: 'Ada' },
    })
    const bundle = await inspector.debugBundle()
    expect(bundle.sync.clientId).toBe(a.client.clientId)
    expect(JSON.stringify(bundle)).not.toContain(ada.token)

    // A reset from a tab that does not own the database: pushed first, then pulled back.
    expect(await inspector.resetDevice()).toEqual({ discarded: 0, pulled: 1 })
    expect(await a.client.get('document', doc.id)).toEqual(doc)
    expect(a.client.status.pending).toBe(0)
  })
})

describe('visibility across tabs', () => {
  it("the owner's client counts as visible while any tab is, and hears each change", async () => {
    const seen: boolean[] = []
    const record = (client: HostedClient): HostedClient =>
      new Proxy(client, {
        get(target, key) {
          const value = Reflect.get(target, key, target)
          if (key !== 'setVisible' || typeof value !== 'function') return value
          return (visible: boolean) => {
            seen.push(visible)
            value.call(target, visible)
          }
        },
      })
    const a = await tabs.open({ wrap: record })
    const b = await tabs.open()
    a.client.setVisible(false)
    await roundTrip(a)
    expect(seen.at(-1)).toBe(false)
    b.client.setVisible(true)
    await roundTrip(b)
    expect(seen.at(-1)).toBe(true)
    // The user switches back to A: B is hidden before A is shown; still visible all along.
    b.client.setVisible(false)
    await roundTrip(b)
    expect(seen.at(-1)).toBe(false)
    a.client.setVisible(true)
    await roundTrip(a)
    expect(seen.at(-1)).toBe(true)
    // A hidden tab that goes away counts no more.
    a.client.setVisible(false)
    b.client.setVisible(true)
    await roundTrip(a)
    await roundTrip(b)
    await b.kill()
    await expect.poll(() => seen.at(-1)).toBe(false)
  })
})
