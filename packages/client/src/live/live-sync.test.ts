import { TidingsError } from '@tidings/protocol'
import { describe, expect, it, vi } from 'vitest'
import type { LiveEvent } from './live-connection.js'
import { type LiveSource, LiveSync } from './live-sync.js'

/** A live source the test drives by hand. */
const fakeSource = () => {
  const listeners = new Set<(event: LiveEvent) => void>()
  let running = false
  const source: LiveSource = {
    on: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    start: () => {
      running = true
    },
    stop: () => {
      running = false
    },
  }
  const emit = (event: LiveEvent) => {
    for (const listener of listeners) listener(event)
  }
  return { source, emit, running: () => running }
}

/** A sync the test finishes by hand, counting how many started. */
const manualSync = () => {
  const pending: Array<{ resolve: () => void; reject: (error: unknown) => void }> = []
  let started = 0
  const sync = () =>
    new Promise<void>((resolve, reject) => {
      started++
      pending.push({ resolve, reject })
    })
  return {
    sync,
    started: () => started,
    finish: () => pending.shift()?.resolve(),
    fail: (e: unknown) => pending.shift()?.reject(e),
  }
}

const setup = (cursor = () => '10' as string | null) => {
  const fake = fakeSource()
  const sync = manualSync()
  const errors: unknown[] = []
  const live = new LiveSync({
    source: fake.source,
    sync: sync.sync,
    idle: async () => {},
    cursor,
    onError: (error) => errors.push(error),
  })
  live.start()
  return { live, fake, sync, errors }
}

const open: LiveEvent = { type: 'open', url: 'http://one' }
const poke = (cursor: string): LiveEvent => ({ type: 'poke', cursor, url: 'http://one' })

describe('LiveSync', () => {
  it('syncs on every (re)connect, since pokes sent while disconnected are gone', async () => {
    const { fake, sync } = setup()
    expect(fake.running()).toBe(true)
    fake.emit(open)
    await vi.waitFor(() => expect(sync.started()).toBe(1))
  })

  it('syncs on a poke for a cursor it does not hold, not for the one it holds', async () => {
    const { fake, sync } = setup(() => '10')
    fake.emit(poke('10'))
    fake.emit(poke('11'))
    await vi.waitFor(() => expect(sync.started()).toBe(1))
    sync.finish()
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(sync.started()).toBe(1)
  })

  it('coalesces pokes during a sync into exactly one more sync after it', async () => {
    const { fake, sync } = setup(() => null)
    fake.emit(poke('1'))
    await vi.waitFor(() => expect(sync.started()).toBe(1))
    fake.emit(poke('2'))
    fake.emit(poke('3'))
    fake.emit(poke('4'))
    expect(sync.started()).toBe(1)
    sync.finish()
    await vi.waitFor(() => expect(sync.started()).toBe(2))
    sync.finish()
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(sync.started()).toBe(2)
  })

  it('waits out a sync already in flight before starting its own', async () => {
    const fake = fakeSource()
    const sync = manualSync()
    let releaseIdle = () => {}
    const idle = new Promise<void>((resolve) => {
      releaseIdle = resolve
    })
    const live = new LiveSync({
      source: fake.source,
      sync: sync.sync,
      idle: () => idle,
      cursor: () => null,
      onError: () => {},
    })
    live.start()
    fake.emit(poke('1'))
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(sync.started()).toBe(0)
    releaseIdle()
    await vi.waitFor(() => expect(sync.started()).toBe(1))
  })

  it('reports failures except being offline, and keeps going', async () => {
    const { fake, sync, errors } = setup(() => null)
    fake.emit(poke('1'))
    await vi.waitFor(() => expect(sync.started()).toBe(1))
    sync.fail(new TidingsError('unavailable', 'server down'))
    fake.emit(poke('2'))
    await vi.waitFor(() => expect(sync.started()).toBe(2))
    const forbidden = new TidingsError('forbidden', 'not yours')
    sync.fail(forbidden)
    await vi.waitFor(() => expect(errors).toEqual([forbidden]))
  })

  it('stops listening and stops the connection', async () => {
    const { live, fake, sync } = setup(() => null)
    live.stop()
    expect(fake.running()).toBe(false)
    fake.emit(poke('1'))
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(sync.started()).toBe(0)
  })
})
