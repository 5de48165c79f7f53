import { CompiledQuery } from 'kysely'
import { chunks, ID_CHUNK, ROW_CHUNK } from './chunks.js'
import type { Hashed, Rows, StoredRow } from './push-plan.js'

/**
 * The push statements of SQLite as SQL text with `?` placeholders: the same SQL as the Kysely
 * queries of `push-plan.ts`, written out so a push inside a group commit builds and compiles
 * no query trees (that was about half of the time a batch held the database). The statement
 * cache prepares each distinct text once.
 */

const RESERVE = `insert into streams (stream, last_seq) values (?, ?)
  on conflict (stream) do update set last_seq = streams.last_seq + excluded.last_seq
  returning last_seq`

const GIVE_BACK = 'update streams set last_seq = ? where stream = ?'

const marks = (count: number, row: string): string => Array(count).fill(row).join(', ')

/** Bumps the stream counter by `count`; returns `last_seq`. */
export const reserveStatement = (
  stream: string,
  count: number,
): CompiledQuery<{
  last_seq: number
}> => CompiledQuery.raw(RESERVE, [stream, count])

export const giveBackStatement = (stream: string, head: number): CompiledQuery =>
  CompiledQuery.raw(GIVE_BACK, [head, stream])

/** Hashes of already stored bundle and event ids among the request's, one query per chunk. */
export const storedStatements = (
  stream: string,
  unique: readonly Hashed[],
): Array<CompiledQuery<StoredRow>> => {
  const ids = [
    ...unique.map((h) => ({ kind: 'b', id: h.bundle.id })),
    ...unique.flatMap((h) => h.bundle.events.map((e) => ({ kind: 'e', id: e.id }))),
  ]
  return chunks(ids, ID_CHUNK).map((part) => {
    // `in ('')` matches nothing: SQL has no empty list.
    const bundleIds = part.filter((x) => x.kind === 'b').map((x) => x.id)
    const eventIds = part.filter((x) => x.kind === 'e').map((x) => x.id)
    const bundles = bundleIds.length > 0 ? bundleIds : ['']
    const events = eventIds.length > 0 ? eventIds : ['']
    return CompiledQuery.raw(
      `select 'b' as kind, id, hash from bundles where stream = ? and id in (${marks(bundles.length, '?')})
       union all
       select 'e' as kind, id, hash from events where stream = ? and id in (${marks(events.length, '?')})`,
      [stream, ...bundles, stream, ...events],
    )
  })
}

/** Multi-row inserts of the new bundles and events. */
export const insertStatements = (rows: Rows): CompiledQuery[] => [
  ...chunks(rows.bundles, ROW_CHUNK).map((part) =>
    CompiledQuery.raw(
      `insert into bundles (stream, seq, id, client, hlc, events, event_count, hash, received_at, part)
       values ${marks(part.length, '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')}`,
      part.flatMap((b) => [
        b.stream,
        b.seq,
        b.id,
        b.client,
        b.hlc,
        b.events,
        b.event_count,
        b.hash,
        b.received_at,
        b.part,
      ]),
    ),
  ),
  ...chunks(rows.events, ROW_CHUNK).map((part) =>
    CompiledQuery.raw(
      `insert into events (stream, id, bundle_id, hash) values ${marks(part.length, '(?, ?, ?, ?)')}`,
      part.flatMap((e) => [e.stream, e.id, e.bundle_id, e.hash]),
    ),
  ),
]
