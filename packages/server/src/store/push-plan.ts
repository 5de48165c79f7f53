import { type PartedBundle, TidingsError } from '@tidings/protocol'
import { type Compilable, type Kysely, sql } from 'kysely'
import { ARRAY_CHUNK, chunks, ID_CHUNK, ROW_CHUNK } from './chunks.js'
import { bundleHash, eventHash } from './content-hash.js'
import { type Family, isUniqueViolation } from './dialects/family.js'
import type { Database } from './schema.js'

/**
 * The steps of a push as queries and pure decisions, shared by the generic path (one Kysely
 * transaction) and the pipelined Postgres path. See `pushBundles` for why the order matters.
 */
export interface Hashed {
  bundle: PartedBundle
  hash: string
  eventHashes: string[]
}

export interface Rows {
  bundles: Array<Database['bundles']>
  events: Array<Database['events']>
}

export interface StoredRow {
  kind: string
  id: string
  hash: string
}

/** One entry per bundle id; the same id twice in one request must carry the same content. */
export const dedupe = (bundles: readonly PartedBundle[]): Hashed[] => {
  const byId = new Map<string, Hashed>()
  for (const bundle of bundles) {
    const eventHashes = bundle.events.map(eventHash)
    const hash = bundleHash(bundle, eventHashes)
    const seen = byId.get(bundle.id)
    if (seen && seen.hash !== hash) throw bundleConflict(bundle.id)
    if (!seen) byId.set(bundle.id, { bundle, hash, eventHashes })
  }
  return [...byId.values()]
}

/** Bumps the stream counter by `count`, taking the stream's lock; returns the new `last_seq`. */
export const reserveQuery = (db: Kysely<Database>, stream: string, count: number) =>
  db
    .insertInto('streams')
    .values({ stream, last_seq: count })
    .onConflict((oc) =>
      oc.column('stream').doUpdateSet((eb) => ({
        last_seq: eb('streams.last_seq', '+', eb.ref('excluded.last_seq')),
      })),
    )
    .returning('last_seq')

export const giveBackQuery = (db: Kysely<Database>, stream: string, head: number) =>
  db.updateTable('streams').set({ last_seq: head }).where('stream', '=', stream)

/**
 * Hashes of already stored bundle and event ids among the request's, one query per chunk.
 * On Postgres each id is its own primary-key probe (`unnest` + `LATERAL`), whatever the
 * statistics say: with `id IN (…500 ids…)` and stale statistics (a stream growing faster than
 * autovacuum analyzes it) the planner chose a bitmap scan on `stream` alone, reading every
 * event of the stream on every push, so pushes cost O(history). (`LIMIT 1` keeps Postgres
 * from flattening the lateral subquery into a join it could plan as a hash join over the
 * stream, which it did on a small unanalyzed table; ids are unique per stream.) One array keeps a
 * request of a few thousand ids in one statement (the pipelined path needs exactly one).
 */
export const storedQueries = (
  db: Kysely<Database>,
  family: Family,
  stream: string,
  unique: Hashed[],
): Array<Compilable<StoredRow>> => {
  const ids = [
    ...unique.map((h) => ({ kind: 'b', id: h.bundle.id })),
    ...unique.flatMap((h) => h.bundle.events.map((e) => ({ kind: 'e', id: e.id }))),
  ]
  if (family === 'postgres')
    return chunks(ids, ARRAY_CHUNK).map((part) => {
      const bundleIds = part.filter((x) => x.kind === 'b').map((x) => x.id)
      const eventIds = part.filter((x) => x.kind === 'e').map((x) => x.id)
      const query = sql<StoredRow>`
        select 'b' as kind, b.id, b.hash from unnest(cast(${bundleIds} as text[])) as wanted(id)
          cross join lateral (select id, hash from bundles
             where stream = ${stream} and id = wanted.id collate "C" limit 1) b
        union all
        select 'e' as kind, e.id, e.hash from unnest(cast(${eventIds} as text[])) as wanted(id)
          cross join lateral (select id, hash from events
             where stream = ${stream} and id = wanted.id collate "C" limit 1) e`
      return { compile: () => query.compile(db) }
    })
  return chunks(ids, ID_CHUNK).map((part) => {
    const bundleIds = part.filter((x) => x.kind === 'b').map((x) => x.id)
    const eventIds = part.filter((x) => x.kind === 'e').map((x) => x.id)
    // `in ('')` matches nothing: SQL has no empty list.
    const inBundles = db
      .selectFrom('bundles')
      .select([sql.lit('b').as('kind'), 'id', 'hash'])
      .where('stream', '=', stream)
      .where('id', 'in', bundleIds.length > 0 ? bundleIds : [''])
    const inEvents = db
      .selectFrom('events')
      .select([sql.lit('e').as('kind'), 'id', 'hash'])
      .where('stream', '=', stream)
      .where('id', 'in', eventIds.length > 0 ? eventIds : [''])
    return inBundles.unionAll(inEvents)
  })
}

export interface Decision {
  rows: Rows
  added: number
  /** The stream position after the push. */
  head: number
  /** The counter must be set back to `head` (some reserved positions went unused). */
  giveBack: boolean
}

/**
 * Which bundles and events are new, at which positions; throws `conflict` when an id is
 * already stored (or repeated in the request) with other content.
 */
export const decide = (input: {
  stream: string
  unique: Hashed[]
  stored: StoredRow[]
  reserved: number
  now: number
}): Decision => {
  const { stream, unique, reserved } = input
  const storedBundles = new Map<string, string>()
  const storedEvents = new Map<string, string>()
  for (const row of input.stored)
    (row.kind === 'b' ? storedBundles : storedEvents).set(row.id, row.hash)
  const fresh = unique.filter((h) => {
    const hash = storedBundles.get(h.bundle.id)
    if (hash !== undefined && hash !== h.hash) throw bundleConflict(h.bundle.id)
    return hash === undefined
  })
  const first = reserved - unique.length + 1
  const rows: Rows = { bundles: [], events: [] }
  const taken = new Map<string, string>()
  fresh.forEach((h, i) => {
    rows.bundles.push({
      stream,
      seq: first + i,
      id: h.bundle.id,
      client: h.bundle.client,
      hlc: h.bundle.hlc,
      events: JSON.stringify(h.bundle.events),
      event_count: h.bundle.events.length,
      hash: h.hash,
      received_at: input.now,
      part: partText(h.bundle),
    })
    h.bundle.events.forEach((event, j) => {
      const hash = h.eventHashes[j] as string
      const other = taken.get(event.id) ?? storedEvents.get(event.id)
      if (other !== undefined && other !== hash) throw eventConflict(event.id)
      if (other !== undefined) return // stored already, or earlier in this request
      taken.set(event.id, hash)
      rows.events.push({ stream, id: event.id, bundle_id: h.bundle.id, hash })
    })
  })
  const head = first + fresh.length - 1
  return { rows, added: fresh.length, head, giveBack: head !== reserved }
}

/** The stored text of a bundle's part marker (null for a whole transaction). */
export const partText = (bundle: PartedBundle): string | null =>
  bundle.part ? JSON.stringify(bundle.part) : null

/** Multi-row inserts; on Postgres a small push is one statement (a data-modifying CTE). */
export const insertQueries = (db: Kysely<Database>, family: Family, rows: Rows): Compilable[] => {
  const small = rows.bundles.length <= ROW_CHUNK && rows.events.length <= ROW_CHUNK
  if (family === 'postgres' && small && rows.bundles.length > 0 && rows.events.length > 0)
    return [
      db
        .with('stored_bundles', (w) => w.insertInto('bundles').values(rows.bundles))
        .insertInto('events')
        .values(rows.events),
    ]
  return [
    ...chunks(rows.bundles, ROW_CHUNK).map((part) => db.insertInto('bundles').values(part)),
    ...chunks(rows.events, ROW_CHUNK).map((part) => db.insertInto('events').values(part)),
  ]
}

/** A unique violation that slipped past the checks is still a conflict, never a 500. */
export const asConflict = (err: unknown): unknown =>
  isUniqueViolation(err)
    ? new TidingsError('conflict', 'a bundle or event id is already stored with other content', {
        cause: err,
      })
    : err

const bundleConflict = (id: string): TidingsError =>
  new TidingsError(
    'conflict',
    `bundle ${id} is already stored with other content; a bundle id is never reused`,
    {
      details: { bundle: id },
    },
  )

const eventConflict = (id: string): TidingsError =>
  new TidingsError(
    'conflict',
    `event ${id} is already stored with other content; an event id is never reused`,
    {
      details: { event: id },
    },
  )
