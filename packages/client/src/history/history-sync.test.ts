import type { Event } from '@tidings/protocol'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LibraryClient } from '../test/fixtures.js'
import { internals } from '../test/fixtures.js'
import { type RunningServer, serverClient, startBackend } from '../test/server.js'

/**
 * `history` across devices: 2–3 clients of one user write the same few documents and sync
 * through a real server at random moments; once all are caught up, each one's history of each
 * document is every event any of them wrote to it, in HLC order — its own and pulled ones alike.
 * The expectation is read from what each device wrote (its own bundles, as pushed), not from
 * `history`.
 */

type Action =
  | { kind: 'create'; client: number; title: string }
  | { kind: 'update'; client: number; pick: number; title: string; url: string | null }
  | { kind: 'delete'; client: number; pick: number }
  | { kind: 'sync'; client: number }

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant('create' as const),
    client: fc.nat(2),
    title: fc.constantFrom('a', 'b'),
  }),
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('update' as const),
      client: fc.nat(2),
      pick: fc.nat(),
      title: fc.constantFrom('x', 'y', 'z'),
      url: fc.constantFrom('https://u.test', null),
    }),
  },
  fc.record({ kind: fc.constant('delete' as const), client: fc.nat(2), pick: fc.nat() }),
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('sync' as const), client: fc.nat(2) }) },
)

describe('history across devices syncing through a server (property)', () => {
  let server: RunningServer
  beforeAll(async () => {
    server = (await startBackend('sqlite')).server
  })
  afterAll(() => server?.close())

  it('every device lists every event written to an entity, in HLC order', async () => {
    let run = 0
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 3 }),
        fc.array(action, { minLength: 1, maxLength: 20 }),
        async (count, actions) => {
          const user = await server.addUser(`history-${process.pid}-${run++}`)
          const clients: LibraryClient[] = []
          for (let i = 0; i < count; i++) clients.push(await serverClient(server, user.token))
          for (const a of actions) {
            const client = clients[a.client % count]!
            if (a.kind === 'sync') await client.sync()
            else if (a.kind === 'create')
              await client.create('document', { author: 'Ada', title: a.title })
            else {
              const live = await client.fetch('document')
              const doc = live[a.pick % Math.max(1, live.length)]
              if (!doc) continue
              if (a.kind === 'delete') await client.delete('document', doc.id)
              else await client.update('document', doc.id, { title: a.title, url: a.url })
            }
          }
          // Caught up: each pushes, then each pulls what the others pushed.
          for (const client of clients) await client.sync()
          for (const client of clients) await client.sync()

          const written: Event[] = []
          for (const client of clients) {
            const store = internals(client).store
            for (const id of store.bundleIds(store.clientId))
              written.push(...store.bundle(id)!.events)
          }
          written.sort((x, y) => (x.hlc < y.hlc ? -1 : x.hlc > y.hlc ? 1 : x.id < y.id ? -1 : 1))
          const entities = new Set(written.map((e) => e.entity))
          for (const client of clients) {
            const me = (await client.spaces()).find((s) => s.private)!.id
            for (const entity of entities) {
              const { events, truncatedBefore } = await client.history('document', entity)
              expect(truncatedBefore).toBeUndefined()
              const mine = written.filter((e) => e.entity === entity)
              expect(
                events.map((e) => ({
                  id: e.id,
                  type: 'document',
                  entity,
                  attribute: e.attribute,
                  value: e.raw,
                  hlc: e.hlc,
                  client: e.client,
                })),
              ).toEqual(mine)
              for (const e of events) {
                expect(e.local).toBe(e.client === client.clientId)
                // One user's private space: every writer is that user.
                expect(e.user).toBe(me)
              }
              // The last event of each attribute is the one that holds it.
              const last = new Map(events.map((e) => [e.attribute, e.id]))
              for (const e of events) expect(e.wins).toBe(last.get(e.attribute) === e.id)
            }
          }
          await Promise.all(clients.map((c) => c.close()))
        },
      ),
      { numRuns: 12 },
    )
  }, 120_000)
})
