import type { Bundle, Event } from '@tidings/protocol'
import type { Kysely } from 'kysely'
import { chunks, ID_CHUNK } from './chunks.js'
import type { Database } from './schema.js'
import type { Page, PullOptions } from './store.js'

interface BundleRow {
  seq: number | string
  id: string
  client: string
  hlc: string
  events: string
  event_count: number
}

const toBundle = (row: BundleRow): Bundle => ({
  id: row.id,
  client: row.client,
  hlc: row.hlc,
  events: JSON.parse(row.events) as Event[],
})

/**
 * One page of the stream after `after`, up to the stream's head, in one statement (one
 * snapshot). Every position up to a committed head is itself committed (writers of a stream
 * commit in position order), so a page that ends at the head never lets the cursor pass a
 * bundle still in flight. The head comes from a one-row CTE left-joined to the page, so it
 * arrives even when the page is empty.
 */
export const pullPage = async (db: Kysely<Database>, options: PullOptions): Promise<Page> => {
  const { stream, after, excludeClient } = options
  const rows = await db
    .with('h', (qb) => qb.selectFrom('streams').select('last_seq').where('stream', '=', stream))
    .selectFrom('h')
    .leftJoin('bundles as b', (join) => {
      const inRange = join.on('b.stream', '=', stream).on('b.seq', '>', after).onRef('b.seq', '<=', 'h.last_seq')
      return excludeClient === undefined ? inRange : inRange.on('b.client', '<>', excludeClient)
    })
    .select(['h.last_seq as head', 'b.seq', 'b.id', 'b.client', 'b.hlc', 'b.events', 'b.event_count'])
    .orderBy('b.seq')
    .limit(options.limit + 1)
    .execute()
  const end = rows[0] ? Number(rows[0].head) : 0
  const page: BundleRow[] = []
  let events = 0
  let more = false
  for (const row of rows) {
    if (row.seq === null || row.id === null || row.client === null || row.hlc === null || row.events === null) break
    const count = row.event_count ?? 0
    if (page.length === options.limit || (page.length > 0 && events + count > options.maxEvents)) {
      more = true
      break
    }
    page.push({ seq: row.seq, id: row.id, client: row.client, hlc: row.hlc, events: row.events, event_count: count })
    events += count
  }
  const last = page[page.length - 1]
  return { bundles: page.map(toBundle), cursor: more && last ? Number(last.seq) : Math.max(end, 0), more }
}

export const listBundleIds = async (db: Kysely<Database>, stream: string): Promise<string[]> => {
  const rows = await db
    .selectFrom('bundles')
    .select('id')
    .where('stream', '=', stream)
    .orderBy('seq')
    .execute()
  return rows.map((r) => r.id)
}

export const getBundlesById = async (
  db: Kysely<Database>,
  stream: string,
  ids: readonly string[],
): Promise<Bundle[]> => {
  const rows: BundleRow[] = []
  for (const part of chunks([...new Set(ids)], ID_CHUNK)) {
    const found = await db
      .selectFrom('bundles')
      .select(['seq', 'id', 'client', 'hlc', 'events', 'event_count'])
      .where('stream', '=', stream)
      .where('id', 'in', part)
      .execute()
    rows.push(...found)
  }
  return rows.sort((a, b) => Number(a.seq) - Number(b.seq)).map(toBundle)
}
