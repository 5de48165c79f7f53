import type { Bundle } from '@tidings/protocol'
import { addUser } from '../auth/users.js'
import type { Store } from '../store/store.js'
import { TestClient } from '../testing/fixtures.js'

/** Values of every JSON shape, so a round trip shows they come back byte for byte. */
const VALUES = [null, 0, -12.5, true, '', 'naïve 日本 🎉', [1, 'two', [3]], { a: { b: [null] } }]

/**
 * Stores `bundles` bundles of 1–9 events for each named user (two clients each) through the
 * normal push; answers them per user in push order. `carol`-style users with 0 bundles are fine.
 */
export const seedStore = async (
  store: Store,
  plan: Record<string, number>,
): Promise<Map<string, Bundle[]>> => {
  const seeded = new Map<string, Bundle[]>()
  for (const [name, bundles] of Object.entries(plan)) {
    const user = await addUser(store, name)
    const clients = [new TestClient(), new TestClient()]
    const now = Date.now()
    await store.registerClients(
      user.id,
      clients.map((c) => c.id),
      now,
    )
    const made = Array.from({ length: bundles }, (_, i) => {
      const client = clients[i % 2] as TestClient
      return client.bundle({
        events: Array.from({ length: 1 + (i % 9) }, (_, j) =>
          client.event({ value: VALUES[(i + j) % VALUES.length] ?? null, entity: `e${i % 7}` }),
        ),
      })
    })
    for (let i = 0; i < made.length; i += 100)
      await store.push({ stream: user.id, bundles: made.slice(i, i + 100), now })
    seeded.set(name, made)
  }
  return seeded
}

/** Every bundle of a user's stream, in stream order. */
export const streamOf = async (store: Store, name: string): Promise<Bundle[]> => {
  const user = (await store.listUsers()).find((u) => u.name === name)
  if (!user) return []
  const all: Bundle[] = []
  for (let after = 0; ; ) {
    const page = await store.pull({ stream: user.id, after, limit: 1_000, maxEvents: 100_000 })
    all.push(...page.bundles)
    if (!page.more) return all
    after = page.cursor
  }
}

/** Text as a stream of chunks of `size` bytes, cutting lines (and UTF-8 characters) apart. */
export async function* chunked(text: string, size = 4_093): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text)
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}
