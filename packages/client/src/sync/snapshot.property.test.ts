import { type JsonValue, newId } from '@tidings/protocol'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BULK_LOAD_KEY } from '../store/bulk-load.js'
import type { Op } from '../store/store.js'
import { internals, type LibraryClient } from '../test/fixtures.js'
import { type RunningServer, serverClient, startBackend } from '../test/server.js'

/**
 * Issue 16: a new device syncing a compacted space (the winners below the horizon, then the
 * tail) ends in the same state as a device that replayed the whole uncompacted log. Random
 * writes of two devices (updates, tombstones, writes that lose), a horizon somewhere in them,
 * compaction, more writes after it. Pages of two bundles, so the new device's first sync is a
 * bulk load (store/bulk-load.ts) of several pages; its indexes are back when it is done.
 */

const ATTRIBUTES = ['author', 'title', 'url', 'deleted'] as const
const value = (attribute: string): fc.Arbitrary<JsonValue> =>
  attribute === 'deleted' ? fc.constant(true) : fc.constantFrom('a', 'b', 'c', 'd')

interface Write {
  device: number
  ops: Array<{ entity: number; attribute: string; value: JsonValue }>
}

const write: fc.Arbitrary<Write> = fc.record({
  device: fc.nat(1),
  ops: fc.array(
    fc
      .tuple(fc.nat(3), fc.constantFrom(...ATTRIBUTES))
      .chain(([entity, attribute]) =>
        value(attribute).map((v) => ({ entity, attribute, value: v })),
      ),
    { minLength: 1, maxLength: 4 },
  ),
})

const scenario = fc.record({
  before: fc.array(write, { minLength: 2, maxLength: 12 }),
  // Where the horizon falls among the writes before compaction (as a fraction of them).
  cut: fc.double({ min: 0, max: 1, noNaN: true }),
  after: fc.array(write, { maxLength: 4 }),
})

/** A log with a superseded write below the horizon (the last write), five bundles in all. */
const SUPERSEDED = {
  before: [
    { device: 0, ops: [{ entity: 0, attribute: 'title', value: 'a' }] },
    { device: 1, ops: [{ entity: 0, attribute: 'title', value: 'b' }] },
    { device: 0, ops: [{ entity: 1, attribute: 'author', value: 'c' }] },
    { device: 1, ops: [{ entity: 2, attribute: 'url', value: 'd' }] },
    { device: 0, ops: [{ entity: 3, attribute: 'title', value: 'a' }] },
  ],
  cut: 1,
  after: [],
}

/** The typed indexes of a client (its primary keys aside). */
const indexes = (client: LibraryClient): number =>
  (
    internals(client).store.sql.all(`PRAGMA index_list('t_document')`) as Array<{
      origin: string
    }>
  ).filter((i) => i.origin === 'c').length

describe.each(['sqlite', 'postgres'] as const)('a new device on a compacted space (%s)', (kind) => {
  let server: RunningServer
  beforeAll(async () => {
    server = (await startBackend(kind, { maxPageBundles: 2 })).server
  })
  afterAll(() => server?.close())

  it('ends in the state of a full replay of the uncompacted log', async () => {
    // Not vacuous: some runs dropped events, and some new devices bulk loaded.
    let dropped = 0
    let bulkLoads = 0
    await fc.assert(
      fc.asyncProperty(scenario, async ({ before, cut, after }) => {
        const user = await server.addUser(`snapshot-${kind}-${newId()}`)
        const devices = [
          await serverClient(server, user.token),
          await serverClient(server, user.token),
        ]
        const replayed = await serverClient(server, user.token)
        const entities = [newId(), newId(), newId(), newId()]
        const hlcs: string[] = []
        const run = async (w: Write) => {
          const device = devices[w.device] as LibraryClient
          const ops: Op[] = w.ops.map((o) => ({
            type: 'document',
            entity: entities[o.entity] as string,
            attribute: o.attribute,
            value: o.value,
          }))
          hlcs.push(internals(device).store.commitLocal(ops, 100).bundle.hlc)
          await device.sync()
        }
        for (const w of before) await run(w)
        for (const device of devices) await device.sync()
        // The full history, pulled before anything was dropped.
        await replayed.sync()
        const horizon = hlcs[Math.min(hlcs.length - 1, Math.floor(cut * hlcs.length))] as string
        dropped += (await server.store.compact({ space: user.id, horizon })).dropped
        for (const w of after) await run(w)
        for (const device of devices) await device.sync()
        await replayed.sync()

        const fresh = await serverClient(server, user.token)
        const store = internals(fresh).store
        const begin = store.beginBulkLoad.bind(store)
        store.beginBulkLoad = () => {
          const began = begin()
          if (began) bulkLoads += 1
          return began
        }
        await fresh.sync()
        try {
          expect(internals(fresh).store.dump()).toEqual(internals(replayed).store.dump())
          expect(internals(fresh).store.dump()).toEqual(internals(devices[0]!).store.dump())
          expect(indexes(fresh)).toBe(indexes(replayed))
          expect(indexes(fresh)).toBeGreaterThan(0)
          expect(internals(fresh).store.getState(BULK_LOAD_KEY)).toBeUndefined()
          expect(await fresh.fetch('document', { orderBy: { title: 'asc' } })).toEqual(
            await replayed.fetch('document', { orderBy: { title: 'asc' } }),
          )
        } finally {
          await Promise.all([...devices, replayed, fresh].map((c) => c.close()))
        }
      }),
      // Random logs may leave nothing for compaction to drop (a run of 12 on Postgres did):
      // this one always does (a title written twice below the horizon) and pulls in pages.
      { numRuns: 12, examples: [[SUPERSEDED]] },
    )
    expect(dropped).toBeGreaterThan(0)
    expect(bulkLoads).toBeGreaterThan(0)
  }, 120_000)
})
