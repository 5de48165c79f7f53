import { type Event, type Hlc, TidingsError } from '@tidings/protocol'
import type { Kysely } from 'kysely'
import { chunks, ID_CHUNK } from '../chunks.js'
import type { Database } from '../schema.js'
import { horizonBefore, keptEvents, latestHlc, Winners } from './plan.js'

/** What `Store.compact` is asked. */
export interface CompactOptions {
  /** One space (a user id names that user's private space); absent: every stream. */
  space?: string
  /** Superseded events of bundles below this HLC go. Give this or `olderThan`. */
  horizon?: Hlc
  /** Or: superseded events older than this many milliseconds (before `now`) go. */
  olderThan?: number
  /** Epoch ms for `olderThan` and the record of the run; default the clock's. */
  now?: number
  /** Bundles read, and rewritten in one transaction, at a time (default 500). */
  batch?: number
  onProgress?: (progress: CompactProgress) => void
}

/** Where a run stands, after each batch. */
export interface CompactProgress {
  stream: string
  /** Streams finished before this one, and how many there are in all. */
  streamsDone: number
  streams: number
  /** `scan` reads the whole stream for its winners; `rewrite` drops what they supersede. */
  phase: 'scan' | 'rewrite'
  bundles: number
  events: number
  dropped: number
}

export interface CompactResult {
  horizon: Hlc
  streams: number
  /** Bundles and events read by the rewrite phase (those below the horizon). */
  bundles: number
  events: number
  /** Events dropped, and bundles left with no event (they keep their row and position). */
  dropped: number
  emptied: number
}

export const DEFAULT_COMPACT_BATCH = 500

interface Row {
  seq: number | string
  hlc: string
  events: string
  part: string | null
}

/** The horizon an options object names; `bad_request` when it names none or both. */
export const horizonOf = (options: CompactOptions): Hlc => {
  const { horizon, olderThan } = options
  if ((horizon === undefined) === (olderThan === undefined))
    throw new TidingsError('bad_request', 'compact needs a horizon or an age (olderThan), not both')
  if (olderThan !== undefined) {
    if (!Number.isFinite(olderThan) || olderThan < 0)
      throw new TidingsError('bad_request', `olderThan must be ≥ 0 ms, got ${olderThan}`)
    return horizonBefore(options.now ?? Date.now(), olderThan)
  }
  return horizon as Hlc
}

/**
 * Drops, in every stream asked, the superseded events of the bundles below the horizon (see
 * `plan.ts` for why that is safe). Two passes per stream: the first reads every bundle (winners
 * may sit above the horizon), the second rewrites the bundles below it, a batch per
 * transaction, and forgets the dropped events' ids. It takes no lock: pushes only add events,
 * so a winner seen stays stored or is beaten by a newer one, and a run that stops half way
 * leaves a log that is compacted as far as it got. Bundles keep their positions, so every
 * cursor and feed entry still names what it named.
 */
export const compactStreams = async (
  db: Kysely<Database>,
  options: CompactOptions,
): Promise<CompactResult> => {
  const horizon = horizonOf(options)
  const batch = options.batch ?? DEFAULT_COMPACT_BATCH
  if (!Number.isInteger(batch) || batch < 1)
    throw new TidingsError('bad_request', `batch must be a whole number ≥ 1, got ${batch}`)
  const streams =
    options.space !== undefined
      ? await existing(db, options.space)
      : (await db.selectFrom('streams').select('stream').orderBy('stream').execute()).map(
          (r) => r.stream,
        )
  const total: CompactResult = {
    horizon,
    streams: 0,
    bundles: 0,
    events: 0,
    dropped: 0,
    emptied: 0,
  }
  for (const [i, stream] of streams.entries()) {
    const report = (phase: CompactProgress['phase'], done: Omit<CompactResult, 'horizon'>) =>
      options.onProgress?.({
        stream,
        streamsDone: i,
        streams: streams.length,
        phase,
        bundles: done.bundles,
        events: done.events,
        dropped: done.dropped,
      })
    const one = await compactStream(db, stream, horizon, batch, report)
    await record(db, stream, horizon, options.now ?? Date.now(), one.dropped)
    total.streams++
    total.bundles += one.bundles
    total.events += one.events
    total.dropped += one.dropped
    total.emptied += one.emptied
  }
  return total
}

const existing = async (db: Kysely<Database>, space: string): Promise<string[]> => {
  const row = await db
    .selectFrom('streams')
    .select('stream')
    .where('stream', '=', space)
    .executeTakeFirst()
  if (!row) throw new TidingsError('not_found', `no space or user stream ${JSON.stringify(space)}`)
  return [row.stream]
}

type Counts = Omit<CompactResult, 'horizon'>

const compactStream = async (
  db: Kysely<Database>,
  stream: string,
  horizon: Hlc,
  batch: number,
  report: (phase: CompactProgress['phase'], done: Counts) => void,
): Promise<Counts> => {
  const winners = new Winners()
  const scanned: Counts = { streams: 1, bundles: 0, events: 0, dropped: 0, emptied: 0 }
  for await (const rows of batches(db, stream, batch, null)) {
    for (const row of rows) {
      const events = JSON.parse(row.events) as Event[]
      winners.addAll(events)
      scanned.bundles++
      scanned.events += events.length
    }
    report('scan', scanned)
  }
  const done: Counts = { streams: 1, bundles: 0, events: 0, dropped: 0, emptied: 0 }
  for await (const rows of batches(db, stream, batch, horizon)) {
    const rewrites: Array<{ seq: number; kept: Event[] }> = []
    const forgotten: string[] = []
    for (const row of rows) {
      const events = JSON.parse(row.events) as Event[]
      const kept = keptEvents({ hlc: row.hlc, events, part: row.part !== null }, horizon, winners)
      done.bundles++
      done.events += events.length
      if (kept.length === events.length) continue
      const keptIds = new Set(kept.map((e) => e.id))
      for (const e of events) if (!keptIds.has(e.id)) forgotten.push(e.id)
      rewrites.push({ seq: Number(row.seq), kept })
      done.dropped += events.length - kept.length
      if (kept.length === 0) done.emptied++
    }
    if (rewrites.length > 0) await rewrite(db, stream, rewrites, forgotten)
    report('rewrite', done)
  }
  return done
}

/**
 * The stream's bundles that still hold events, in position order, `size` at a time (keyset
 * paging, so each batch is an index range); with `below`, only those whose HLC is below it.
 */
async function* batches(
  db: Kysely<Database>,
  stream: string,
  size: number,
  below: Hlc | null,
): AsyncGenerator<Row[]> {
  let after = 0
  for (;;) {
    const rows = await db
      .selectFrom('bundles')
      .select(['seq', 'hlc', 'events', 'part'])
      .where('stream', '=', stream)
      .where('seq', '>', after)
      .where('event_count', '>', 0)
      .$if(below !== null, (q) => q.where('hlc', '<', below as Hlc))
      .orderBy('seq')
      .limit(size)
      .execute()
    if (rows.length === 0) return
    yield rows
    after = Number(rows[rows.length - 1]?.seq)
    if (rows.length < size) return
  }
}

/** One transaction: the bundles' new events (and HLC), and the dropped events' ids forgotten. */
const rewrite = (
  db: Kysely<Database>,
  stream: string,
  rewrites: ReadonlyArray<{ seq: number; kept: Event[] }>,
  forgotten: readonly string[],
): Promise<void> =>
  db.transaction().execute(async (trx) => {
    for (const { seq, kept } of rewrites) {
      // An emptied bundle keeps its HLC: pulls skip it, and it still says when it was written.
      const hlc = kept.length > 0 ? { hlc: latestHlc(kept) } : {}
      await trx
        .updateTable('bundles')
        .set({ events: JSON.stringify(kept), event_count: kept.length, ...hlc })
        .where('stream', '=', stream)
        .where('seq', '=', seq)
        .execute()
    }
    for (const ids of chunks(forgotten, ID_CHUNK))
      await trx.deleteFrom('events').where('stream', '=', stream).where('id', 'in', ids).execute()
  })

/** Remembers the stream's horizon (the greatest ever asked) and what was dropped in all. */
const record = async (
  db: Kysely<Database>,
  stream: string,
  horizon: Hlc,
  now: number,
  dropped: number,
): Promise<void> => {
  const row = await db
    .selectFrom('horizons')
    .select(['hlc', 'dropped'])
    .where('stream', '=', stream)
    .executeTakeFirst()
  if (!row) {
    await db
      .insertInto('horizons')
      .values({ stream, hlc: horizon, compacted_at: now, dropped })
      .onConflict((oc) => oc.column('stream').doNothing())
      .execute()
    return
  }
  await db
    .updateTable('horizons')
    .set({
      hlc: row.hlc > horizon ? row.hlc : horizon,
      compacted_at: now,
      dropped: Number(row.dropped) + dropped,
    })
    .where('stream', '=', stream)
    .execute()
}

/** The horizons of these streams, of those that were ever compacted. */
export const horizonsOf = async (
  db: Kysely<Database>,
  streams: readonly string[],
): Promise<Map<string, Hlc>> => {
  const found = new Map<string, Hlc>()
  for (const part of chunks([...new Set(streams)], ID_CHUNK)) {
    const rows = await db
      .selectFrom('horizons')
      .select(['stream', 'hlc'])
      .where('stream', 'in', part)
      .execute()
    for (const row of rows) found.set(row.stream, row.hlc)
  }
  return found
}
