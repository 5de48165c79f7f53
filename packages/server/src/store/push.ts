import { type Bundle, TidingsError } from '@tidings/protocol'
import { type Kysely, sql, type Transaction } from 'kysely'
import { chunks, ID_CHUNK, ROW_CHUNK } from './chunks.js'
import { bundleHash, eventHash } from './content-hash.js'
import { type Family, isUniqueViolation } from './dialects/family.js'
import type { Database } from './schema.js'
import type { PushResult } from './store.js'

interface Hashed {
  bundle: Bundle
  hash: string
  eventHashes: string[]
}

type Trx = Transaction<Database>

/**
 * Stores a request's new bundles in one transaction. Its first statement bumps the stream
 * counter, which takes the stream's row lock (Postgres) or the write lock (SQLite) before
 * anything is read: writers of one stream run one after another, so positions become visible
 * in order and a reader's cursor never passes a bundle still to commit (invariant 4). It
 * reserves a position per request bundle and gives back those of bundles already stored.
 */
export const pushBundles = async (
  db: Kysely<Database>,
  family: Family,
  input: { stream: string; bundles: readonly Bundle[]; now: number },
): Promise<PushResult> => {
  const { stream } = input
  const unique = dedupe(input.bundles)
  if (unique.length === 0) return { accepted: [], added: 0, head: 0 }
  try {
    return await db.transaction().execute(async (trx) => {
      const reserved = await reserve(trx, stream, unique.length)
      const stored = await storedHashes(trx, stream, unique)
      const fresh = unique.filter((h) => {
        const hash = stored.bundles.get(h.bundle.id)
        if (hash !== undefined && hash !== h.hash) throw bundleConflict(h.bundle.id)
        return hash === undefined
      })
      const first = reserved - unique.length + 1
      const rows = toRows(stream, fresh, newEventHashes(fresh, stored.events), first, input.now)
      await insertRows(trx, family, rows)
      // Still under the lock: hand back the positions reserved for already stored bundles.
      const head = first + fresh.length - 1
      if (head !== reserved)
        await trx
          .updateTable('streams')
          .set({ last_seq: head })
          .where('stream', '=', stream)
          .execute()
      return { accepted: unique.map((h) => h.bundle.id), added: fresh.length, head }
    })
  } catch (err) {
    if (isUniqueViolation(err))
      throw new TidingsError(
        'conflict',
        'a bundle or event id is already stored with other content',
        { cause: err },
      )
    throw err
  }
}

/** One entry per bundle id; the same id twice in one request must carry the same content. */
const dedupe = (bundles: readonly Bundle[]): Hashed[] => {
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

const reserve = async (trx: Trx, stream: string, count: number): Promise<number> => {
  const row = await trx
    .insertInto('streams')
    .values({ stream, last_seq: count })
    .onConflict((oc) =>
      oc.column('stream').doUpdateSet((eb) => ({
        last_seq: eb('streams.last_seq', '+', eb.ref('excluded.last_seq')),
      })),
    )
    .returning('last_seq')
    .executeTakeFirstOrThrow()
  return Number(row.last_seq)
}

/** Hashes of the request's bundle and event ids already in the stream, in one query per chunk. */
const storedHashes = async (trx: Trx, stream: string, unique: Hashed[]) => {
  const bundles = new Map<string, string>()
  const events = new Map<string, string>()
  const ids = [
    ...unique.map((h) => ({ kind: 'b', id: h.bundle.id })),
    ...unique.flatMap((h) => h.bundle.events.map((e) => ({ kind: 'e', id: e.id }))),
  ]
  for (const part of chunks(ids, ID_CHUNK)) {
    const bundleIds = part.filter((x) => x.kind === 'b').map((x) => x.id)
    const eventIds = part.filter((x) => x.kind === 'e').map((x) => x.id)
    const inBundles = trx
      .selectFrom('bundles')
      .select([sql.lit('b').as('kind'), 'id', 'hash'])
      .where('stream', '=', stream)
      .where('id', 'in', bundleIds.length > 0 ? bundleIds : [''])
    const inEvents = trx
      .selectFrom('events')
      .select([sql.lit('e').as('kind'), 'id', 'hash'])
      .where('stream', '=', stream)
      .where('id', 'in', eventIds.length > 0 ? eventIds : [''])
    for (const row of await inBundles.unionAll(inEvents).execute())
      (row.kind === 'b' ? bundles : events).set(row.id, row.hash)
  }
  return { bundles, events }
}

/**
 * The events of `fresh` to insert, id -> hash. An event id is stored once; the same id again
 * (already stored, or in two bundles of this request) must carry the same content.
 */
const newEventHashes = (fresh: Hashed[], stored: Map<string, string>): Map<string, string> => {
  const wanted = new Map<string, string>()
  for (const h of fresh)
    h.bundle.events.forEach((event, i) => {
      const hash = h.eventHashes[i] as string
      const other = wanted.get(event.id) ?? stored.get(event.id)
      if (other !== undefined && other !== hash) throw eventConflict(event.id)
      if (!stored.has(event.id)) wanted.set(event.id, hash)
    })
  return wanted
}

interface Rows {
  bundles: Array<Database['bundles']>
  events: Array<Database['events']>
}

const toRows = (
  stream: string,
  fresh: Hashed[],
  newEvents: Map<string, string>,
  first: number,
  now: number,
): Rows => {
  const bundles = fresh.map((h, i) => ({
    stream,
    seq: first + i,
    id: h.bundle.id,
    client: h.bundle.client,
    hlc: h.bundle.hlc,
    events: JSON.stringify(h.bundle.events),
    event_count: h.bundle.events.length,
    hash: h.hash,
    received_at: now,
  }))
  const events: Rows['events'] = []
  for (const h of fresh)
    for (const event of h.bundle.events) {
      const hash = newEvents.get(event.id)
      if (hash === undefined) continue
      newEvents.delete(event.id) // an event repeated in two bundles is stored once
      events.push({ stream, id: event.id, bundle_id: h.bundle.id, hash })
    }
  return { bundles, events }
}

/** Multi-row inserts; on Postgres a small push is one statement (a data-modifying CTE). */
const insertRows = async (trx: Trx, family: Family, rows: Rows): Promise<void> => {
  const small = rows.bundles.length <= ROW_CHUNK && rows.events.length <= ROW_CHUNK
  if (family === 'postgres' && small && rows.bundles.length > 0 && rows.events.length > 0) {
    await trx
      .with('stored_bundles', (db) => db.insertInto('bundles').values(rows.bundles))
      .insertInto('events')
      .values(rows.events)
      .execute()
    return
  }
  for (const part of chunks(rows.bundles, ROW_CHUNK))
    await trx.insertInto('bundles').values(part).execute()
  for (const part of chunks(rows.events, ROW_CHUNK))
    await trx.insertInto('events').values(part).execute()
}

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
