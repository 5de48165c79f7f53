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

const head = async (db: Kysely<Database>, stream: string): Promise<number> => {
  const row = await db.selectFrom('streams').select('last_seq').where('stream', '=', stream).executeTakeFirst()
  return row ? Number(row.last_seq) : 0
}

/**
 * One page of the stream after `after`. The head is read first: every position up to a
 * committed head is itself committed (writers of a stream commit in position order), so a
 * page that ends at the head never lets the cursor pass a bundle still in flight.
 */
export const pullPage = async (db: Kysely<Database>, options: PullOptions): Promise<Page> => {
  const end = await head(db, options.stream)
  let query = db
    .selectFrom('bundles')
    .select(['seq', 'id', 'client', 'hlc', 'events', 'event_count'])
    .where('stream', '=', options.stream)
    .where('seq', '>', options.after)
    .where('seq', '<=', end)
  if (options.excludeClient !== undefined) query = query.where('client', '<>', options.excludeClient)
  const rows = await query.orderBy('seq').limit(options.limit + 1).execute()
  const page: BundleRow[] = []
  let events = 0
  for (const row of rows) {
    if (page.length === options.limit) break
    if (page.length > 0 && events + row.event_count > options.maxEvents) break
    page.push(row)
    events += row.event_count
  }
  const more = page.length < rows.length
  const last = page[page.length - 1]
  return { bundles: page.map(toBundle), cursor: more && last ? Number(last.seq) : end, more }
}

export const listBundleIds = async (db: Kysely<Database>, stream: string): Promise<string[]> => {
  const rows = await db.selectFrom('bundles').select('id').where('stream', '=', stream).orderBy('seq').execute()
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
