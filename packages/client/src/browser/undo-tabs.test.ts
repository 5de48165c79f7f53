import { isTidingsError } from '@tidings/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { BrowserTabs, type TestTab } from '../test/browser-tabs.js'
import type { UndoState } from '../undo/types.js'
import type { HostedClient } from './serve.js'

// Undo and redo through the worker (issue 16): every tab drives the one undo stack of the
// client that owns the database, and every tab's `undoState()` follows it.
let tabs = new BrowserTabs()
afterEach(async () => {
  await tabs.close()
  tabs = new BrowserTabs()
})

/** The undo state a tab reports once it satisfies `done`. */
const undoStateUntil = (tab: TestTab, done: (state: UndoState) => boolean) =>
  new Promise<UndoState>((resolve) => {
    if (done(tab.client.undoState())) return resolve(tab.client.undoState())
    const off = tab.client.onUndoState((state) => {
      if (!done(state)) return
      off()
      resolve(state)
    })
  })

describe('undo and redo in the browser client', () => {
  it('undoes and redoes from a tab that does not own the database, and every tab sees the state', async () => {
    const a = await tabs.open()
    const b = await tabs.open()
    expect(b.client.status.connection).toBe('another-tab')
    const doc = await b.client.create('document', { author: 'Ada', title: 'Draft' })
    await a.client.update('document', doc.id, { title: 'Final' })
    expect(await undoStateUntil(b, (s) => s.undoCount === 2)).toMatchObject({ canUndo: true })

    expect(await b.client.undo()).toEqual({
      done: true,
      restored: [{ type: 'document', id: doc.id, attribute: 'title' }],
      stale: [],
    })
    expect((await a.client.get('document', doc.id))?.title).toBe('Draft')
    expect(await undoStateUntil(a, (s) => s.redoCount === 1)).toEqual({
      canUndo: true,
      canRedo: true,
      undoCount: 1,
      redoCount: 1,
    })
    await b.client.redo()
    expect((await b.client.get('document', doc.id))?.title).toBe('Final')
    await undoStateUntil(b, (s) => s.redoCount === 0 && s.undoCount === 2)
    expect(await a.client.undo()).toMatchObject({ done: true })
    expect(await b.client.undo()).toMatchObject({ done: true })
    expect(await b.client.get('document', doc.id)).toBeNull()
    expect(await b.client.undo()).toEqual({ done: false, restored: [], stale: [] })
  })

  it('never undoes twice across a hand-over: an undo whose owner died unanswered fails with unavailable', async () => {
    let committed: () => void = () => {}
    const undone = new Promise<void>((resolve) => (committed = resolve))
    // The owner commits the undo, then dies before answering.
    const wrap = (client: HostedClient): HostedClient =>
      new Proxy(client, {
        get(target, key) {
          const value = Reflect.get(target, key, target)
          if (typeof value !== 'function') return value
          if (key !== 'undo') return value.bind(target)
          return async () => {
            await value.apply(target, [])
            committed()
            return await new Promise(() => {})
          }
        },
      })
    const a = await tabs.open({ wrap })
    const b = await tabs.open()
    const doc = await b.client.create('document', { author: 'Ada', title: 'A' })
    await b.client.update('document', doc.id, { title: 'B' })
    const undo = b.client.undo()
    await undone
    await a.kill()
    const error = await undo.catch((e: unknown) => e)
    expect(isTidingsError(error, 'unavailable')).toBe(true)
    expect((await b.client.get('document', doc.id))?.title).toBe('A')
    expect(await undoStateUntil(b, (s) => s.redoCount === 1)).toMatchObject({ undoCount: 1 })
  })
})
