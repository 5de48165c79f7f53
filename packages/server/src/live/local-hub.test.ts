import { describe, expect, it } from 'vitest'
import type { LiveListener } from './hub.js'
import { LocalHub } from './local-hub.js'

const recorder = () => {
  const pokes: string[] = []
  let lost = 0
  const listener: LiveListener = { poke: (cursor) => pokes.push(cursor), lost: () => lost++ }
  return { listener, pokes, lost: () => lost }
}

describe('LocalHub', () => {
  it('delivers a poke to every subscriber of that stream and no other', () => {
    const hub = new LocalHub()
    const a1 = recorder()
    const a2 = recorder()
    const b = recorder()
    hub.subscribe('a', a1.listener)
    hub.subscribe('a', a2.listener)
    hub.subscribe('b', b.listener)
    hub.notify('a', 7)
    expect(a1.pokes).toEqual(['7'])
    expect(a2.pokes).toEqual(['7'])
    expect(b.pokes).toEqual([])
    expect(hub.listeners).toBe(3)
  })

  it('stops delivering after unsubscribe, and unsubscribing twice counts once', () => {
    const hub = new LocalHub()
    const a = recorder()
    const off = hub.subscribe('a', a.listener)
    off()
    off()
    hub.notify('a', 1)
    expect(a.pokes).toEqual([])
    expect(hub.listeners).toBe(0)
  })

  it('lets a listener unsubscribe while being poked without skipping the others', () => {
    const hub = new LocalHub()
    const later = recorder()
    const off: Array<() => void> = []
    off.push(hub.subscribe('a', { poke: () => off[0]?.(), lost: () => {} }))
    hub.subscribe('a', later.listener)
    hub.notify('a', 2)
    expect(later.pokes).toEqual(['2'])
    expect(hub.listeners).toBe(1)
  })

  it('is ready until closed, and a closed hub pokes nobody', async () => {
    const hub = new LocalHub()
    const a = recorder()
    hub.subscribe('a', a.listener)
    expect(hub.ready).toBe(true)
    await hub.close()
    hub.notify('a', 3)
    expect(hub.ready).toBe(false)
    expect(a.pokes).toEqual([])
  })
})
