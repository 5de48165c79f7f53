import { newId } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { openStore } from '../store/kysely-store.js'
import { TestClient } from '../testing/fixtures.js'
import { SpaceFixture } from '../testing/space-fixture.js'
import { LocalHub } from './local-hub.js'
import { withPokes } from './poking-store.js'

describe('pokes of a shared space', () => {
  it("pokes every current member's live streams, past any cursor they hold", async () => {
    const hub = new LocalHub()
    const raw = await openStore('memory')
    const store = withPokes(raw, hub)
    const [owner, writer, gone, stranger] = [newId(), newId(), newId(), newId()]
    const fixture = new SpaceFixture(raw)
    const space = await fixture.createSpace(owner)
    await fixture.join(space, writer, 'writer')
    await fixture.join(space, gone, 'reader')
    await fixture.remove(space, gone)
    const pokes = new Map<string, string[]>()
    for (const user of [owner, writer, gone, stranger])
      hub.subscribe(user, {
        poke: (cursor) => pokes.set(user, [...(pokes.get(user) ?? []), cursor]),
        lost: () => {},
      })
    const bundle = { ...new TestClient().bundle(), space }
    await store.push({ stream: writer, bundles: [bundle], now: Date.now() })
    const past = String(Number.MAX_SAFE_INTEGER)
    expect(Object.fromEntries(pokes)).toEqual({ [owner]: [past], [writer]: [past] })
    // The same bundle again adds nothing and pokes nobody.
    await store.push({ stream: writer, bundles: [bundle], now: Date.now() })
    expect(pokes.get(owner)).toEqual([past])
    await store.close()
  })
})
