import { newId } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { openStore } from '../store/kysely-store.js'
import { LocalHub } from './local-hub.js'
import { withPokes } from './poking-store.js'

describe('withPokes', () => {
  it('pokes the stream with its new head after a push that added bundles, and only then', async () => {
    const hub = new LocalHub()
    const store = withPokes(await openStore('memory'), hub)
    const pokes: string[] = []
    hub.subscribe('s1', { poke: (cursor) => pokes.push(cursor), lost: () => {} })
    const client = newId()
    const hlc = `2026-11-26T04:46:02.123Z-0000-${client}`
    const bundle = {
      id: newId(),
      client,
      hlc,
      events: [
        {
          id: newId(),
          type: 'document',
          entity: newId(),
          attribute: 'title',
          value: 'x',
          hlc,
          client,
        },
      ],
    }
    const first = await store.push({ stream: 's1', bundles: [bundle], now: 1 })
    const again = await store.push({ stream: 's1', bundles: [bundle], now: 2 })
    expect(first.added).toBe(1)
    expect(again.added).toBe(0)
    expect(pokes).toEqual([String(first.head)])
    // Everything else passes straight through to the real store.
    expect(await store.bundleIds('s1')).toEqual([bundle.id])
    // The push-and-pull of /v1/sync pokes the same way.
    const next = { ...bundle, id: newId(), events: [{ ...bundle.events[0], id: newId() }] }
    const synced = await store.sync(
      { stream: 's1', bundles: [next as typeof bundle], now: 3 },
      { stream: 's1', after: 0, limit: 10, maxEvents: 100 },
    )
    expect(synced.pushed.added).toBe(1)
    expect(synced.page.cursor).toBe(synced.pushed.head)
    expect(pokes).toEqual([String(first.head), String(synced.pushed.head)])
    await store.close()
  })
})
