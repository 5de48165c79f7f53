import { type Bundle, TidingsError } from '@tidings/protocol'
import type { Kysely, Transaction } from 'kysely'
import { chunks, ID_CHUNK, ROW_CHUNK } from './chunks.js'
import { bundleHash, eventHash } from './content-hash.js'
import { isUniqueViolation } from './dialects/family.js'
import type { Database } from './schema.js'
import type { PushResult } from './store.js'

interface Hashed {
  bundle: Bundle
  hash: string
  eventHashes: string[]
}

/**
 * Stores a request's new bundles in one transaction. Its first statement bumps the stream
 * counter, which takes the stream's row lock (Postgres) or the write lock (SQLite) before
 * anything is read: writers of one stream run one after another, so positions become visible
 * in order and a reader's cursor never passes a bundle still to commit (invariant 4). Already
 * stored bundles keep their position; the few positions reserved for them stay unused, which
 * cursors do not mind.
 */
export const pushBundles = async (
  db: Kysely<Database>,
  input: { stream: string; bundles: readonly Bundle[]; now: number },
): Promise<PushResult> => {
  const unique = dedupe(input.bundles)
  if (unique.length === 0) return { accepted: [], added: 0, head: 0 }
  try {
    return await db.transaction().execute(async (trx) => {
      const head = await reserve(trx, input.stream, unique.length)
      const fresh = await withoutStored(trx, input.stream, unique)
      const newEvents = await newEventHashes(trx, input.stream, fresh)
      const first = head - unique.length + 1
      await insertBundles(trx, { stream: input.stream, fresh, newEvents, first, now: input.now })
      return { accepted: unique.map((h) => h.bundle.id), added: fresh.length, head }
    })
  } catch (err) {
    if (isUniqueViolation(err))
      throw new TidingsError('conflict', 'a bundle or event id is already stored with other content', { cause: err })
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

const reserve = async (trx: Transaction<Database>, stream: string, count: number): Promise<number> => {
  const row = await trx
    .insertInto('streams')
    .values({ stream, last_seq: count })
    .onConflict((oc) =>
      oc.column('stream').doUpdateSet((eb) => ({ last_seq: eb('streams.last_seq', '+', eb.ref('excluded.last_seq')) })),
    )
    .returning('last_seq')
    .executeTakeFirstOrThrow()
  return Number(row.last_seq)
}

const withoutStored = async (trx: Transaction<Database>, stream: string, unique: Hashed[]): Promise<Hashed[]> => {
  const stored = new Map<string, string>()
  for (const ids of chunks(
    unique.map((h) => h.bundle.id),
    ID_CHUNK,
  )) {
    const rows = await trx
      .selectFrom('bundles')
      .select(['id', 'hash'])
      .where('stream', '=', stream)
      .where('id', 'in', ids)
      .execute()
    for (const row of rows) stored.set(row.id, row.hash)
  }
  return unique.filter((h) => {
    const hash = stored.get(h.bundle.id)
    if (hash !== undefined && hash !== h.hash) throw bundleConflict(h.bundle.id)
    return hash === undefined
  })
}

/**
 * The events of `fresh` not stored yet, id -> content hash. An event id is stored once; the
 * same id again (stored, or in two bundles of this request) must carry the same content.
 */
const newEventHashes = async (
  trx: Transaction<Database>,
  stream: string,
  fresh: Hashed[],
): Promise<Map<string, string>> => {
  const wanted = new Map<string, string>()
  for (const h of fresh)
    h.bundle.events.forEach((event, i) => {
      const hash = h.eventHashes[i] as string
      const other = wanted.get(event.id)
      if (other !== undefined && other !== hash) throw eventConflict(event.id)
      wanted.set(event.id, hash)
    })
  for (const ids of chunks([...wanted.keys()], ID_CHUNK)) {
    const rows = await trx
      .selectFrom('events')
      .select(['id', 'hash'])
      .where('stream', '=', stream)
      .where('id', 'in', ids)
      .execute()
    for (const row of rows) {
      if (wanted.get(row.id) !== row.hash) throw eventConflict(row.id)
      wanted.delete(row.id)
    }
  }
  return wanted
}

const insertBundles = async (
  trx: Transaction<Database>,
  input: { stream: string; fresh: Hashed[]; newEvents: Map<string, string>; first: number; now: number },
): Promise<void> => {
  const { stream, newEvents } = input
  const bundleRows = input.fresh.map((h, i) => ({
    stream,
    seq: input.first + i,
    id: h.bundle.id,
    client: h.bundle.client,
    hlc: h.bundle.hlc,
    events: JSON.stringify(h.bundle.events),
    event_count: h.bundle.events.length,
    hash: h.hash,
    received_at: input.now,
  }))
  for (const rows of chunks(bundleRows, ROW_CHUNK)) await trx.insertInto('bundles').values(rows).execute()
  const eventRows: Array<{ stream: string; id: string; bundle_id: string; hash: string }> = []
  for (const h of input.fresh)
    for (const event of h.bundle.events) {
      const hash = newEvents.get(event.id)
      if (hash === undefined) continue
      newEvents.delete(event.id) // an event repeated in two bundles is stored once
      eventRows.push({ stream, id: event.id, bundle_id: h.bundle.id, hash })
    }
  for (const rows of chunks(eventRows, ROW_CHUNK)) await trx.insertInto('events').values(rows).execute()
}

const bundleConflict = (id: string): TidingsError =>
  new TidingsError('conflict', `bundle ${id} is already stored with other content; a bundle id is never reused`, {
    details: { bundle: id },
  })

const eventConflict = (id: string): TidingsError =>
  new TidingsError('conflict', `event ${id} is already stored with other content; an event id is never reused`, {
    details: { event: id },
  })
