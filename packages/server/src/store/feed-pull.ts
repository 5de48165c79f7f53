import { createHash } from 'node:crypto'
import type { BundlePart, Event, Part, PartedBundle, SpaceChange } from '@tidings/protocol'
import type { Kysely } from 'kysely'
import { chunks } from './chunks.js'
import { type FeedRow, readFeed } from './feed.js'
import type { Database } from './schema.js'

/** Feed entries read per page at most: a page's work stays bounded whatever happened. */
export const FEED_ENTRIES_PER_PAGE = 500

/** Where a reader stands in its feed (see `http/cursor.ts` for how the cursor carries it). */
export interface FeedPosition {
  /** Every entry up to this position was served whole. */
  after: number
  /** The entry at `after + 1` was served up to this position of its space (0: none of it). */
  within: number
  /** The mark of the entry at `after` (`feedMark`), as the cursor carries it; absent: trusted. */
  check?: string
}

export interface FeedPullOptions extends FeedPosition {
  user: string
  limit: number
  /** Stop adding bundles once the page holds about this many events (at least one bundle). */
  maxEvents: number
  /**
   * Leave these bundles out of pushes (not out of joins: a join gives all history): the ones a
   * sync request carried. Never a client's whole history (see `PullOptions.exclude`).
   */
  exclude?: readonly string[]
}

export interface FeedPage {
  bundles: PartedBundle[]
  /** `bundles` as JSON text, with the stored events text spliced in as is. */
  bundlesJson: string
  parts: BundlePart[]
  /** The spaces the page's bundles belong to, each once. */
  streams: string[]
  /** Membership changes, in feed order; a removal comes after every bundle of its space. */
  changes: SpaceChange[]
  position: { after: number; within: number; mark: string | null }
  more: boolean
  /** The cursor's feed entry is gone or changed (a restore): nothing read. */
  reset?: true
}

/** 8 base64url characters naming a feed entry, so a restored feed is told from the one read. */
export const feedMark = (entry: FeedRow): string =>
  createHash('sha256')
    .update(`${entry.pos}\n${entry.space}\n${entry.kind}\n${entry.from}\n${entry.to}\n${entry.at}`)
    .digest('base64url')
    .slice(0, 8)

interface SpaceBundleRow {
  space: string
  seq: number | string
  id: string
  client: string
  hlc: string
  events: string
  event_count: number
  part: string | null
}

/**
 * The bundles of the user's shared spaces after a feed position: the feed says, in commit
 * order, which positions of which space became the user's to read (`push`: a range; `join`:
 * the space's history up to the join), so a page costs a read of the feed after the cursor and
 * one index range per entry with bundles: it grows with what changed, never with the number of
 * spaces. The feed's positions become visible in order (see `appendFeed`), so the position
 * never passes an entry still to commit (invariant 4).
 */
export const pullFeed = async (
  db: Kysely<Database>,
  options: FeedPullOptions,
): Promise<FeedPage> => {
  const { after } = options
  const start = after > 0 ? after - 1 : 0
  const read = await readFeed(db, options.user, start, FEED_ENTRIES_PER_PAGE + 1)
  const at = after > 0 ? read.shift() : undefined
  if (after > 0 && (at?.pos !== after || (options.check && feedMark(at) !== options.check)))
    return { ...empty(options), reset: true }
  const names = await spaceNames(db, read)
  const fetched = await prefetchPushes(db, read.slice(0, FEED_ENTRIES_PER_PAGE), options)
  const rows: SpaceBundleRow[] = []
  const changes: SpaceChange[] = []
  let { within } = options
  let done = at
  let events = 0
  let more = false
  const change = (entry: FeedRow) =>
    changes.push({ id: entry.space, name: names.get(entry.space) ?? '', role: entry.role })
  for (const entry of read.slice(0, FEED_ENTRIES_PER_PAGE)) {
    if (entry.kind === 'leave' && rows.some((r) => r.space === entry.space)) {
      // The removal travels in the next page: this one still carries bundles of the space.
      more = true
      break
    }
    const told = changes.length
    if (entry.kind !== 'push' && within === 0) change(entry)
    if (entry.kind === 'push' || entry.kind === 'join') {
      const room = options.limit - rows.length
      const lo = Math.max(entry.from - 1, within)
      const found =
        room > 0
          ? (fetched.get(entry.pos) ?? (await rangeOf(db, entry, lo, room + 1, options)))
          : []
      let taken = 0
      for (const row of found) {
        const fits = rows.length === 0 || events + row.event_count <= options.maxEvents
        if (rows.length >= options.limit || !fits) break
        rows.push(row)
        events += row.event_count
        taken++
      }
      if (room <= 0 || taken < found.length) {
        const last = rows[rows.length - 1]
        if (taken > 0 && last) within = Number(last.seq)
        // Nothing of the entry served: the next page tells its change, once.
        else changes.length = told
        more = true
        break
      }
    }
    done = entry
    within = 0
  }
  if (read.length > FEED_ENTRIES_PER_PAGE && !more && done === read[FEED_ENTRIES_PER_PAGE - 1])
    more = true
  return {
    ...pageOf(rows),
    changes,
    position: { after: done?.pos ?? 0, within, mark: done ? feedMark(done) : null },
    more,
  }
}

const empty = (options: FeedPosition): Omit<FeedPage, 'reset'> => ({
  ...pageOf([]),
  changes: [],
  position: { after: options.after, within: options.within, mark: options.check ?? null },
  more: false,
})

/** The bundles of an entry's space after `lo`, up to the entry's end, in order. */
const rangeOf = (
  db: Kysely<Database>,
  entry: FeedRow,
  lo: number,
  limit: number,
  options: FeedPullOptions,
): Promise<SpaceBundleRow[]> =>
  db
    .selectFrom('bundles')
    .select(['stream as space', 'seq', 'id', 'client', 'hlc', 'events', 'event_count', 'part'])
    .where('stream', '=', entry.space)
    .where('seq', '>', lo)
    .where('event_count', '>', 0)
    .where('seq', '<=', entry.to)
    .$if(
      entry.kind === 'push' && options.exclude !== undefined && options.exclude.length > 0,
      (q) => q.where('id', 'not in', [...(options.exclude ?? [])]),
    )
    .orderBy('seq')
    .limit(limit)
    .execute()

/** Ranges per batched statement (an OR of index ranges; the statement's size bounds it). */
const RANGES_PER_QUERY = 100

/**
 * The bundles of the leading `push` entries, read in a few statements instead of one per entry
 * (a busy space gives a feed of many small pushes): as many entries as fit the page's bundle
 * budget by their ranges' sizes, up to the first join (whose window may be large, and is read
 * alone). Entries left out are read one by one, as before.
 */
const prefetchPushes = async (
  db: Kysely<Database>,
  entries: readonly FeedRow[],
  options: FeedPullOptions,
): Promise<Map<number, SpaceBundleRow[]>> => {
  const ranges: Array<{ entry: FeedRow; lo: number }> = []
  let size = 0
  for (const [i, entry] of entries.entries()) {
    if (entry.kind === 'join') break
    if (entry.kind !== 'push') continue
    const lo = Math.max(entry.from - 1, i === 0 ? options.within : 0)
    if (size + entry.to - lo > options.limit + 1) break
    size += entry.to - lo
    ranges.push({ entry, lo })
  }
  const fetched = new Map<number, SpaceBundleRow[]>()
  if (ranges.length < 2) return fetched
  for (const { entry } of ranges) fetched.set(entry.pos, [])
  for (const part of chunks(ranges, RANGES_PER_QUERY)) {
    const rows = await db
      .selectFrom('bundles')
      .select(['stream as space', 'seq', 'id', 'client', 'hlc', 'events', 'event_count', 'part'])
      .where((eb) =>
        eb.or(
          part.map(({ entry, lo }) =>
            eb.and([eb('stream', '=', entry.space), eb('seq', '>', lo), eb('seq', '<=', entry.to)]),
          ),
        ),
      )
      .where('event_count', '>', 0)
      .$if(options.exclude !== undefined && options.exclude.length > 0, (q) =>
        q.where('id', 'not in', [...(options.exclude ?? [])]),
      )
      .execute()
    for (const row of rows) {
      const seq = Number(row.seq)
      const owner = part.find(
        ({ entry, lo }) => entry.space === row.space && seq > lo && seq <= entry.to,
      )
      if (owner) fetched.get(owner.entry.pos)?.push(row)
    }
  }
  for (const list of fetched.values()) list.sort((a, b) => Number(a.seq) - Number(b.seq))
  return fetched
}

const spaceNames = async (
  db: Kysely<Database>,
  entries: readonly FeedRow[],
): Promise<Map<string, string>> => {
  const ids = [...new Set(entries.filter((e) => e.kind !== 'push').map((e) => e.space))]
  if (ids.length === 0) return new Map()
  const rows = await db.selectFrom('spaces').select(['id', 'name']).where('id', 'in', ids).execute()
  return new Map(rows.map((r) => [r.id, r.name]))
}

const pageOf = (rows: readonly SpaceBundleRow[]) => {
  let bundles: PartedBundle[] | undefined
  const parts: BundlePart[] = []
  for (const row of rows)
    if (row.part !== null) parts.push({ bundle: row.id, ...(JSON.parse(row.part) as Part) })
  return {
    get bundles() {
      bundles ??= rows.map(toBundle)
      return bundles
    },
    bundlesJson: `[${rows.map(bundleJson).join(',')}]`,
    parts,
    streams: [...new Set(rows.map((r) => r.space))],
  }
}

const toBundle = (row: SpaceBundleRow): PartedBundle => {
  const bundle: PartedBundle = {
    id: row.id,
    client: row.client,
    hlc: row.hlc,
    space: row.space,
    events: JSON.parse(row.events) as Event[],
  }
  if (row.part !== null) bundle.part = JSON.parse(row.part) as Part
  return bundle
}

/** The JSON text of `toBundle(row)` (without its part), the stored events text as it is. */
const bundleJson = (row: SpaceBundleRow): string =>
  `{"id":${JSON.stringify(row.id)},"client":${JSON.stringify(row.client)},"hlc":${JSON.stringify(row.hlc)},"space":${JSON.stringify(row.space)},"events":${row.events}}`
