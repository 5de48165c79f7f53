import type { BundlePart, Event, Part, PartedBundle } from '@tidings/protocol'
import { type Kysely, sql } from 'kysely'
import { chunks, ID_CHUNK } from './chunks.js'
import { markOf } from './mark.js'
import type { BundleTable, Database } from './schema.js'
import type { HeadMark, OwnLatest, Page, PullOptions } from './store.js'

type BundleRow = Pick<
  BundleTable,
  'seq' | 'id' | 'client' | 'hlc' | 'events' | 'event_count' | 'part'
>

const toBundle = (row: BundleRow): PartedBundle => {
  const bundle: PartedBundle = {
    id: row.id,
    client: row.client,
    hlc: row.hlc,
    events: JSON.parse(row.events) as Event[],
  }
  if (row.part !== null) bundle.part = JSON.parse(row.part) as Part
  return bundle
}

/** The `parts` list of an answer carrying `rows` (empty when none is a part). */
const partsOfRows = (rows: readonly BundleRow[]): BundlePart[] => {
  const parts: BundlePart[] = []
  for (const row of rows)
    if (row.part !== null) parts.push({ bundle: row.id, ...(JSON.parse(row.part) as Part) })
  return parts
}

export interface PageRow extends Omit<BundleRow, 'seq'> {
  /** Set on the one head row only. */
  head: number | string | null
  seq: number | string | null
  /** Head row only: hash and arrival of the bundle at the head (see `markOf`). */
  head_hash: string | null
  head_at: number | string | null
  /** Head row only: hash and arrival of the bundle at the cursor's checked position. */
  check_hash: string | null
  check_at: number | string | null
}

/**
 * One page of the stream after `after`, up to the stream's head, in one statement (one
 * snapshot). Every position up to a committed head is itself committed (writers of a stream
 * commit in position order), so a page that ends at the head never lets the cursor pass a
 * bundle still in flight. The head arrives as its own row, so it comes even with an empty
 * page, and the page itself is an ordered index range scan that stops at its limit.
 */
export const pullPage = async (db: Kysely<Database>, options: PullOptions): Promise<Page> =>
  readPage((await pageQuery(options).execute(db)).rows, options)

/**
 * The one statement of `pullPage`; the pipelined Postgres sync sends it right after COMMIT.
 *
 * The page is cut by bundle count and by event count in SQL, over the covering index
 * `bundles_page` (running sums of `event_count`), and only the bundles kept are read in full, by
 * a range scan bounded on both sides:
 * `readPage` needs the bundles within the budget plus the first one past it (that is how it
 * knows there is more), so a page of big bundles never drags the rest of the stream's text.
 */
export const pageQuery = (options: PullOptions) => {
  const { stream, after, exclude = [] } = options
  const others = exclude.length === 0 ? sql`` : sql`and id not in (${sql.join([...exclude])})`
  // The marks ride on the head row, read in the page's own snapshot: two primary-key lookups,
  // and none at all (a position that is never there) when the caller needs neither.
  const markAt = options.marked ? sql`s.last_seq` : sql`-1`
  const checkAt = options.check?.seq ?? -1
  return sql<PageRow>`
    select s.last_seq as head, cast(null as bigint) as seq, cast(null as text) as id, cast(null as text) as client,
           cast(null as text) as hlc, cast(null as text) as events, cast(null as integer) as event_count,
           cast(null as text) as part,
           h.hash as head_hash, h.received_at as head_at, c.hash as check_hash, c.received_at as check_at
      from streams s
      left join bundles h on h.stream = s.stream and h.seq = ${markAt}
      left join bundles c on c.stream = s.stream and c.seq = ${checkAt}
     where s.stream = ${stream}
    union all
    select * from (
      select cast(null as bigint) as head, seq, id, client, hlc, events, event_count, part,
             cast(null as text) as head_hash, cast(null as bigint) as head_at,
             cast(null as text) as check_hash, cast(null as bigint) as check_at from bundles
       where stream = ${stream} and seq > ${after} and event_count > 0 ${others}
         and seq <= (
           select max(seq) from (
             select seq, event_count, row_number() over (order by seq) as n,
                    sum(event_count) over (order by seq rows unbounded preceding) as running
               from (
                 select seq, event_count from bundles
                  where stream = ${stream} and seq > ${after} and event_count > 0
                    and seq <= (select last_seq from streams where stream = ${stream}) ${others}
                  order by seq limit ${options.limit + 1}
               ) candidates
           ) cut
            where n <= 2 or running - event_count <= ${options.maxEvents}
         )
       order by seq
    ) page`
}

/** The page, its cursor and `more`, from the rows of `pageQuery`. */
export const readPage = (rows: readonly PageRow[], options: PullOptions): Page => {
  let end = 0
  let head: HeadMark | null = null
  let checked = options.check === undefined
  const page: BundleRow[] = []
  let events = 0
  let more = false
  for (const row of rows) {
    if (row.head !== null) {
      end = Number(row.head)
      if (row.head_hash !== null && row.head_at !== null)
        head = { seq: end, mark: markOf(row.head_hash, row.head_at) }
      checked ||=
        row.check_hash !== null &&
        row.check_at !== null &&
        markOf(row.check_hash, row.check_at) === options.check?.mark
      continue
    }
    if (more || row.seq === null) continue
    if (
      page.length === options.limit ||
      (page.length > 0 && events + row.event_count > options.maxEvents)
    ) {
      more = true
      continue
    }
    page.push({ ...row, seq: row.seq })
    events += row.event_count
  }
  // A plain cursor from a client that speaks marked ones (its first sync after an upgrade) past
  // the head: the server lost what that client saw. Read from the beginning, as a failed check.
  const beyond = options.marked && options.check === undefined && options.after > end
  if (!checked || beyond) return { bundles: [], cursor: 0, more: true, reset: true }
  const last = page[page.length - 1]
  return lazyPage(
    page,
    more && last ? Number(last.seq) : end,
    more,
    options.marked ? head : undefined,
  )
}

/**
 * A page whose bundles are parsed only when someone reads them: the sync and pull routes answer
 * with `bundlesJson`, the stored events text spliced in as is, so serving a page of 10,000
 * events costs no parse and no serialisation of them.
 */
const lazyPage = (
  rows: readonly BundleRow[],
  cursor: number,
  more: boolean,
  head: HeadMark | null | undefined,
): Page => {
  let bundles: PartedBundle[] | undefined
  return {
    get bundles() {
      bundles ??= rows.map(toBundle)
      return bundles
    },
    get bundlesJson() {
      return `[${rows.map(bundleJson).join(',')}]`
    },
    get parts() {
      return partsOfRows(rows)
    },
    events: rows.reduce((sum, row) => sum + row.event_count, 0),
    cursor,
    more,
    ...(head !== undefined && { head }),
  }
}

/** The JSON text of `toBundle(row)`, with the stored events text as it is. */
const bundleJson = (row: BundleRow): string =>
  `{"id":${JSON.stringify(row.id)},"client":${JSON.stringify(row.client)},"hlc":${JSON.stringify(row.hlc)},"events":${row.events}}`

/**
 * True when the page after a push is known to be empty: the client's cursor was the stream's
 * head when the push took the stream's lock (every position up to it committed, as writers of
 * a stream commit in position order), so the positions after it are the push's own bundles,
 * and the page leaves out every bundle the request carried. The answer's cursor is then the
 * push's head, and no page is read. Bundles other pushes commit meanwhile sit after that head,
 * so the next sync finds them (invariant 4).
 */
export const pageKnownEmpty = (
  pull: PullOptions,
  headBefore: number,
  bundles: ReadonlyArray<{ id: string }>,
): boolean =>
  // A marked cursor is checked and its new head marked by the page query itself.
  !pull.marked &&
  pull.check === undefined &&
  headBefore >= 0 &&
  pull.after === headBefore &&
  leavesOut(pull, bundles)

/** Whether the page leaves out every one of `bundles` (see `PullOptions.exclude`). */
export const leavesOut = (pull: PullOptions, bundles: ReadonlyArray<{ id: string }>): boolean => {
  const excluded = new Set(pull.exclude)
  return bundles.every((b) => excluded.has(b.id))
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
): Promise<PartedBundle[]> => {
  const rows: BundleRow[] = []
  for (const part of chunks([...new Set(ids)], ID_CHUNK)) {
    const found = await db
      .selectFrom('bundles')
      .select(['seq', 'id', 'client', 'hlc', 'events', 'event_count', 'part'])
      .where('stream', '=', stream)
      .where('id', 'in', part)
      // Compacted to nothing (compaction/): nothing of it to send.
      .where('event_count', '>', 0)
      .execute()
    rows.push(...found)
  }
  return rows.sort((a, b) => Number(a.seq) - Number(b.seq)).map(toBundle)
}

/**
 * The client's latest bundle in the stream. Walks the stream backwards over the covering index
 * `bundles_page` (stream, seq, client) until it meets one: cheap for a client that pushed
 * lately, longer for one that has been silent while others wrote. Asked once per app start
 * (`resume`), never per sync, so pushes pay nothing for it.
 */
export const latestOfClient = async (
  db: Kysely<Database>,
  stream: string,
  client: string,
): Promise<OwnLatest | null> => {
  const row = await db
    .selectFrom('bundles')
    .select(['id', 'hlc'])
    .where('stream', '=', stream)
    .where('client', '=', client)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row ? { bundle: row.id, hlc: row.hlc } : null
}
