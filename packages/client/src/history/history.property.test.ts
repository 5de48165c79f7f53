import { type Event, type JsonValue, type PartedBundle, wins } from '@tidings/protocol'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileFetch } from '../api/query.js'
import { decodeRows } from '../api/row-decoder.js'
import type { Op } from '../store/store.js'
import { internals, manualClock, memoryClient } from '../test/fixtures.js'
import { pastRows } from './as-of.js'
import { ValueReader } from './decode-value.js'

/**
 * Properties of the past, over random logs of several replicas exchanging bundles (partial,
 * duplicated, out of order; no server needed: `applyRemote` is what a pull does):
 * - `asOf(h).fetch` equals a plain last-writer-wins fold, written here, of the events ≤ h,
 *   whether the past is folded in SQL or in JavaScript (as for types with conversions);
 * - `truncateLog` then `rebuild` gives the very state dumped before, keeps every unsent event,
 *   and leaves `asOf` at or after the recorded horizon unchanged.
 */

const ENTITIES = ['e1', 'e2', 'e3']
// Known attributes, the tombstone, and an attribute and a type this schema does not know.
const TARGETS: Array<[string, string]> = [
  ['document', 'author'],
  ['document', 'title'],
  ['document', 'url'],
  ['document', 'deleted'],
  ['document', 'colour'],
  ['ghost', 'name'],
]
const value: fc.Arbitrary<JsonValue> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('a', 'b', 'c', "it's") },
  fc.boolean(),
  fc.constant(null),
  fc.integer({ min: 0, max: 3 }),
)
const op: fc.Arbitrary<Op> = fc
  .tuple(fc.constantFrom(...ENTITIES), fc.constantFrom(...TARGETS), value)
  .map(([entity, [type, attribute], v]) => ({ type, entity, attribute, value: v }))

type Step =
  | { kind: 'write'; client: number; ops: Op[]; advance: number }
  | { kind: 'deliver'; to: number; picks: number[] }
  | { kind: 'ack'; client: number }

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      client: fc.nat(2),
      ops: fc.array(op, { minLength: 1, maxLength: 3 }),
      advance: fc.integer({ min: 0, max: 3 }),
    }),
  },
  fc.record({
    kind: fc.constant('deliver' as const),
    to: fc.nat(2),
    picks: fc.array(fc.nat(40), { maxLength: 5 }),
  }),
  fc.record({ kind: fc.constant('ack' as const), client: fc.nat(2) }),
)

/** Builds the replicas' logs from `steps`; returns the clients, their stores and every bundle. */
const replay = async (steps: readonly Step[]) => {
  const clock = manualClock()
  const clients = await Promise.all([0, 1, 2].map(() => memoryClient({ now: clock.now })))
  const stores = clients.map((c) => internals(c).store)
  const sent: PartedBundle[] = []
  for (const s of steps) {
    if (s.kind === 'write') {
      clock.advance(s.advance)
      sent.push(stores[s.client]!.commitLocal(s.ops, 100).bundle)
    } else if (s.kind === 'deliver' && sent.length > 0) {
      stores[s.to]!.applyRemote(s.picks.map((p) => sent[p % sent.length]!))
    } else if (s.kind === 'ack') {
      // What the server's acknowledgement does: the bundles leave the outbox.
      const store = stores[s.client]!
      store.sql.transaction(() => store.acknowledge(store.bundleIds(store.clientId)))
    }
  }
  return { clients, stores, sent }
}

/** Every event a store holds, read through its bundles (as they are pushed), deduplicated. */
const eventsOf = (store: ReturnType<typeof internals>['store']): Event[] => {
  const byId = new Map<string, Event>()
  for (const id of store.bundleIds()) for (const e of store.bundle(id)!.events) byId.set(e.id, e)
  return [...byId.values()]
}

type Doc = { id: string; space: null; author: unknown; title: unknown; url?: unknown }

/**
 * The reference: documents as of `bound`, by a plain fold with `wins`, decoded by the schema's
 * rules for this shape (a string attribute holding anything but a string reads as missing:
 * required ones as null, the optional `url` absent; deleted only when `deleted` is `true`).
 */
const foldDocuments = (events: readonly Event[], bound: string) => {
  const winners = new Map<string, Map<string, Event>>()
  for (const e of events) {
    if (e.type !== 'document' || e.hlc > bound) continue
    if (!['author', 'title', 'url', 'deleted'].includes(e.attribute)) continue
    let entity = winners.get(e.entity)
    if (!entity) {
      entity = new Map()
      winners.set(e.entity, entity)
    }
    if (wins(e, entity.get(e.attribute))) entity.set(e.attribute, e)
  }
  const docs: Array<Doc & { deleted: boolean }> = []
  for (const [id, attrs] of winners) {
    const text = (name: string) => {
      const v = attrs.get(name)?.value
      return typeof v === 'string' ? v : undefined
    }
    const doc: Doc & { deleted: boolean } = {
      id,
      space: null,
      author: text('author') ?? null,
      title: text('title') ?? null,
      deleted: attrs.get('deleted')?.value === true,
    }
    if (text('url') !== undefined) doc.url = text('url')
    docs.push(doc)
  }
  return docs.sort((a, b) => (a.id < b.id ? -1 : 1))
}

const strip = ({ deleted: _, ...doc }: Doc & { deleted: boolean }): Doc => doc

describe('asOf (property)', () => {
  it('asOf(h).fetch equals a last-writer-wins fold of the events at or before h', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 25 }),
        fc.nat(2),
        fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
        async (steps, who, picks) => {
          const { clients, stores } = await replay(steps)
          const client = clients[who]!
          const events = eventsOf(stores[who]!)
          const store = internals(client).store
          const shape = store.schema.shape('document')
          const values = new ValueReader(store.schema)
          // Bounds: HLCs of the log (exact hits), and one before and after everything.
          const hlcs = events.map((e) => e.hlc).sort()
          const bounds = ['1970-01-01T00:00:00.000Z-0000-0', '9999-12-31T23:59:59.999Z-FFFF-zzzz']
          for (const p of picks) if (hlcs.length) bounds.push(hlcs[p % hlcs.length]!)
          for (const bound of bounds) {
            const expected = foldDocuments(events, bound)
            const view = client.asOf(bound)
            expect(await view.fetch('document', { includeDeleted: true })).toEqual(
              expected.map(strip),
            )
            expect(await view.fetch('document')).toEqual(
              expected.filter((d) => !d.deleted).map(strip),
            )
            // where + orderBy + limit, as `fetch` takes them.
            const page = expected
              .filter((d) => !d.deleted && d.author === 'a')
              .sort((x, y) => {
                const [a, b] = [String(x.title ?? ''), String(y.title ?? '')]
                if (x.title === null || y.title === null)
                  return x.title === y.title ? (x.id < y.id ? -1 : 1) : x.title === null ? 1 : -1
                return a === b ? (x.id < y.id ? -1 : 1) : a < b ? 1 : -1
              })
              .slice(0, 2)
              .map(strip)
            expect(
              await view.fetch('document', {
                where: { author: 'a' },
                orderBy: { title: 'desc' },
                limit: 2,
              }),
            ).toEqual(page)
            for (const doc of expected)
              expect(await view.get('document', doc.id)).toEqual(doc.deleted ? null : strip(doc))
            // The fold in JavaScript (what a type with conversions takes) gives the same rows.
            for (const query of [
              { includeDeleted: true },
              { where: { author: 'a' }, orderBy: { title: 'desc' as const }, limit: 2 },
            ]) {
              const compiled = compileFetch(store.kysely, 'document', shape, query)
              const rows = (fold: 'sql' | 'javascript') =>
                decodeRows(shape, pastRows(store, values, 'document', bound, compiled, fold))
              expect(rows('javascript')).toEqual(rows('sql'))
            }
          }
          // At the end of time, the past is the present.
          expect(await client.asOf(bounds[1]!).fetch('document', { includeDeleted: true })).toEqual(
            await client.fetch('document', { includeDeleted: true }),
          )
          await Promise.all(clients.map((c) => c.close()))
        },
      ),
      { numRuns: 60 },
    )
  }, 120_000)
})

describe('truncateLog (property)', () => {
  it('truncate then rebuild gives the same state; unsent events stay; asOf from the horizon on is unchanged', async () => {
    let dropped = 0
    let cut = 0
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 40 }),
        fc.nat(2),
        fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 2_000 }), { nil: undefined }),
        fc.boolean(),
        async (steps, who, olderThanMs, keepBytes, catchUp) => {
          const { clients, stores, sent } = await replay(steps)
          const [client, store] = [clients[who]!, stores[who]!]
          // Half the runs first pull everything and hear their pushes acknowledged (a device
          // that synced), so that plenty is droppable; the others keep random unsent tails.
          if (catchUp) {
            store.applyRemote(sent)
            store.sql.transaction(() => store.acknowledge(store.bundleIds(store.clientId)))
          }
          const start = manualClock().now()
          const unsent = store.outbox(0, 1_000).map((o) => store.bundle(o.bundle))
          const before = store.dump()
          const end = '9999-12-31T23:59:59.999Z-FFFF-zzzz'
          const hlcs = eventsOf(store).map((e) => e.hlc)
          const past = new Map<string, unknown>()
          for (const h of [...hlcs, end])
            past.set(h, await client.asOf(h).fetch('document', { includeDeleted: true }))

          const result = await client.truncateLog({
            ...(olderThanMs === undefined && keepBytes === undefined ? { keepBytes: 0 } : {}),
            ...(olderThanMs !== undefined ? { olderThan: start + olderThanMs } : {}),
            ...(keepBytes !== undefined ? { keepBytes } : {}),
          })
          expect(result.kept + result.dropped).toBe(hlcs.length)
          dropped += result.dropped
          expect(store.dump()).toEqual(before)
          store.rebuild()
          expect(store.dump()).toEqual(before)
          // Every unsent bundle would still be pushed whole.
          for (const bundle of unsent) expect(store.bundle(bundle!.id)).toEqual(bundle)
          for (const [h, rows] of past) {
            const view = client.asOf(h)
            if (result.horizon !== undefined && h < result.horizon) {
              expect(view.truncatedBefore).toBe(result.horizon)
              cut += 1
              continue
            }
            expect(view.truncatedBefore).toBeUndefined()
            expect(await view.fetch('document', { includeDeleted: true })).toEqual(rows)
          }
          await Promise.all(clients.map((c) => c.close()))
        },
      ),
      { numRuns: 60 },
    )
    // The runs did cut history (else the property above said little).
    expect(dropped).toBeGreaterThan(0)
    expect(cut).toBeGreaterThan(0)
    // The runs did cut history (else the property above said little).
    expect(dropped).toBeGreaterThan(0)
    expect(cut).toBeGreaterThan(0)
  }, 120_000)
})
