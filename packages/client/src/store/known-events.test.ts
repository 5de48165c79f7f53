import type { Bundle, Event } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { internals, memoryClient } from '../test/fixtures.js'

const B = '01937b5e-0000-7000-8000-00000000c11e'
const hlc = (ms: number) => `2026-11-26T08:00:00.${String(ms).padStart(3, '0')}Z-0000-${B}`
const id = (n: number) => `01937b5e-0000-7000-8000-${String(n).padStart(12, '0')}`

const event = (n: number): Event => ({
  id: id(n),
  type: 'document',
  entity: id(1_000 + n),
  attribute: 'title',
  value: `t${n}`,
  hlc: hlc(n),
  client: B,
})

const bundle = (n: number, events: readonly number[]): Bundle => ({
  id: id(500 + n),
  client: B,
  hlc: hlc(Math.max(...events)),
  events: events.map(event),
})

/**
 * A pulled bundle may repeat events the log already holds under another bundle (the server
 * holds one copy of each event, and several bundles may carry it). `bundle()` must still give
 * back exactly what arrived, or a resend of it (verify re-pushing what the server lacks, a
 * refused bundle copied aside) would carry other content under the same bundle id.
 */
describe('a bundle whose events were partly logged before', () => {
  it('is rebuilt whole, in its order, wherever the known events sit in it', async () => {
    const client = await memoryClient()
    const store = internals(client).store
    const first = bundle(1, [1, 2, 3, 4])
    store.applyRemote([first])
    const layouts = [
      bundle(2, [1, 10, 11]), // known first
      bundle(3, [12, 2, 13]), // known in the middle
      bundle(4, [14, 15, 3]), // known last (its range ends early)
      bundle(5, [4, 1]), // nothing new: an empty range
      bundle(6, [16, 17, 16, 2, 18]), // repeats itself, and a known one
    ]
    for (const b of layouts) store.applyRemote([b])
    const later = bundle(7, [19, 20])
    store.applyRemote([later])
    for (const b of [first, ...layouts, later]) expect(store.bundle(b.id), b.id).toEqual(b)
    await client.close()
  })

  it('is rebuilt whole when the known events arrived in the same pull', async () => {
    const client = await memoryClient()
    const store = internals(client).store
    const pulled = [bundle(1, [1, 2]), bundle(2, [3, 2, 1]), bundle(3, [4])]
    store.applyRemote(pulled)
    for (const b of pulled) expect(store.bundle(b.id)).toEqual(b)
    await client.close()
  })
})
