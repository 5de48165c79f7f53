import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { rememberSpace } from '../store/known-spaces.js'
import { internals, type LibraryClient, memoryClient } from '../test/fixtures.js'
import { loseSpace } from './lose-space.js'
import { RejectedBundles } from './rejected.js'

const SPACES = [
  '01a24000-0000-7000-8000-00000000000a',
  '01a24000-0000-7000-8000-00000000000b',
  '01a24000-0000-7000-8000-00000000000c',
] as const
/** Where a write goes: the private space (null) or one of the shared ones. */
const where = fc.constantFrom<string | null>(null, ...SPACES)

type Step =
  | { kind: 'create'; space: string | null; title: string }
  | { kind: 'update'; pick: number; title: string }
  | { kind: 'delete'; pick: number }
  | { kind: 'remote'; space: string | null; title: string }
  | { kind: 'push'; count: number }

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('create' as const),
    space: where,
    title: fc.string({ maxLength: 4 }),
  }),
  fc.record({
    kind: fc.constant('update' as const),
    pick: fc.nat(),
    title: fc.string({ maxLength: 4 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('remote' as const),
    space: where,
    title: fc.string({ maxLength: 4 }),
  }),
  fc.record({ kind: fc.constant('push' as const), count: fc.integer({ min: 1, max: 3 }) }),
)

const knowSpaces = (client: LibraryClient) => {
  for (const id of SPACES)
    rememberSpace(internals(client).store.sql, { id, name: id, role: 'writer' })
}

/** Every row of the log, registers and typed tables that does NOT belong to `space`. */
const rowsOutside = (client: LibraryClient, space: string) => {
  const sql = internals(client).store.sql
  const entities = `(SELECT entity FROM entity_spaces WHERE space = '${space}')`
  return {
    bundles: sql.all(`SELECT * FROM bundles WHERE space IS NOT '${space}' ORDER BY id`),
    events: sql.all(`SELECT * FROM events WHERE entity NOT IN ${entities} ORDER BY seq`),
    attributes: sql.all(
      `SELECT * FROM attributes WHERE entity NOT IN ${entities} ORDER BY type, entity, attribute`,
    ),
    documents: sql.all(`SELECT * FROM t_document WHERE space IS NOT '${space}' ORDER BY id`),
    outbox: sql.all(
      `SELECT o.* FROM outbox o JOIN bundles b ON b.id = o.bundle WHERE b.space IS NOT '${space}' ORDER BY seq`,
    ),
  }
}

describe('losing a space on a device (DESIGN §8)', () => {
  it('drops exactly that space: nothing of other spaces changes, and every unsent write of it is reported as forbidden', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 25 }),
        fc.constantFrom(...SPACES),
        async (steps, lost) => {
          const device = await memoryClient()
          const peer = await memoryClient()
          knowSpaces(device)
          knowSpaces(peer)
          const store = internals(device).store
          const ids: string[] = []
          for (const s of steps) {
            if (s.kind === 'create') {
              const doc = await device.create(
                'document',
                { author: 'a', title: s.title },
                { space: s.space },
              )
              ids.push(doc.id)
            } else if (s.kind === 'remote') {
              const doc = await peer.create(
                'document',
                { author: 'p', title: s.title },
                { space: s.space },
              )
              const bundle = internals(peer).store.bundle(
                internals(peer).store.outbox(0, 1_000).at(-1)!.bundle,
              )!
              internals(device).receive([bundle])
              ids.push(doc.id)
            } else if (s.kind === 'push') {
              // As if the server acknowledged the oldest unsent bundles.
              const sent = store.outbox(0, s.count).map((r) => r.bundle)
              store.sql.transaction(() => store.acknowledge(sent))
            } else if (ids.length > 0) {
              const id = ids[s.pick % ids.length]!
              if (!(await device.get('document', id))) continue
              if (s.kind === 'update') await device.update('document', id, { title: s.title })
              else await device.delete('document', id)
            }
          }
          const before = rowsOutside(device, lost)
          const unsent = store.sql
            .all<{ bundle: string }>(
              'SELECT o.bundle FROM outbox o JOIN bundles b ON b.id = o.bundle WHERE b.space = ?',
              [lost],
            )
            .map((r) => ({ id: r.bundle, events: store.bundle(r.bundle)!.events }))

          const refused = new RejectedBundles(store)
          store.sql.transaction(() => loseSpace(store, refused, lost))

          expect(rowsOutside(device, lost)).toEqual(before)
          const rejected = await device.rejected()
          expect(rejected.map((r) => ({ id: r.id, events: r.events }))).toEqual(
            expect.arrayContaining(unsent),
          )
          expect(rejected).toHaveLength(unsent.length)
          expect(rejected.every((r) => r.code === 'forbidden')).toBe(true)
          const sql = store.sql
          expect(sql.all('SELECT * FROM bundles WHERE space = ?', [lost])).toEqual([])
          expect(sql.all('SELECT * FROM t_document WHERE space = ?', [lost])).toEqual([])
          expect(sql.all('SELECT * FROM entity_spaces WHERE space = ?', [lost])).toEqual([])
          expect(sql.all('SELECT * FROM spaces WHERE id = ?', [lost])).toEqual([])
          // What remains is what a rebuild from the remaining log gives.
          const dump = store.dump()
          store.rebuild()
          expect(store.dump()).toEqual(dump)
          await device.close()
          await peer.close()
        },
      ),
      { numRuns: 40 },
    )
  })
})
