import type { FeedPosition } from '../store/feed-pull.js'
import type { CursorCheck, HeadMark, Page, PullOptions } from '../store/store.js'

/**
 * The opaque `cursor` of the wire (DESIGN §8, invariant 7), in two forms:
 *
 * - `"<after>"`: a plain position, as released clients have always been given. Trusted as is.
 * - `"<after>.<head>.<mark>"`: the position to pull after, the stream head the answer was read
 *   at, and a mark of the bundle at that head (its content hash and arrival time). Positions are
 *   immutable and assigned in commit order, so when the bundle at `head` is still the one the
 *   client was told about, every position up to it is too, and so is every push the client had
 *   acknowledged by then. After a restore from a backup (or a failover to a lagging replica) the
 *   mark no longer matches and the server answers with a full replay marked `reset`, so the
 *   client re-pulls and re-pushes what the server lost instead of skipping silently.
 *
 * The arrival time is part of the mark so that a lost bundle pushed again after a restore, which
 * could land at the same position with other history before it, never passes for the original.
 */
export interface Cursor {
  after: number
  check?: CursorCheck
  /** False when the text was not a cursor this server gives out: a full replay, never an error. */
  readable: boolean
}

const PLAIN = /^\d{1,15}$/
const MARKED = /^(\d{1,15})\.(\d{1,15})\.([0-9A-Za-z_-]{16})$/

/** Reads a cursor; null, "" and text this server never gave out all mean the beginning. */
export const parseCursor = (text: string | null | undefined): Cursor => {
  if (text === null || text === undefined || text === '') return { after: 0, readable: true }
  if (PLAIN.test(text)) return { after: Number(text), readable: true }
  const marked = MARKED.exec(text)
  if (!marked) return { after: 0, readable: false }
  const after = Number(marked[1])
  const seq = Number(marked[2])
  // A head behind the position was never given out: read it as unreadable, not as a check.
  if (seq < after) return { after: 0, readable: false }
  return { after, check: { seq, mark: marked[3] as string }, readable: true }
}

/** The cursor to answer with: marked when the head is known, plain otherwise (empty stream). */
export const formatCursor = (after: number, head: HeadMark | null): string =>
  head === null ? String(after) : `${after}.${head.seq}.${head.mark}`

/** The pull options a cursor asks for: checked and marked, or plain as it always was. */
export const cursorPull = (
  cursor: Cursor,
  marked: boolean,
): Pick<PullOptions, 'marked' | 'check'> =>
  marked ? { marked, ...(cursor.check && { check: cursor.check }) } : {}

/** The answer's cursor (marked or plain), and `reset` when the page replays from the start. */
export const answerCursor = (
  page: Page,
  cursor: Cursor,
  marked: boolean,
): { cursor: string; reset?: true } => ({
  cursor: marked ? formatCursor(page.cursor, page.head ?? null) : String(page.cursor),
  ...((page.reset || !cursor.readable) && { reset: true as const }),
})

/**
 * Protocol 3 (shared spaces): the cursor also carries the caller's position in its feed (see
 * `store/feed.ts`), after a colon: `<private>:<after>.<within>.<mark>` where `<private>` is one
 * of the two forms above (so a cursor given before spaces existed reads as feed position 0, and
 * a user who never had a shared space keeps the old form), `<after>` is the last feed entry
 * served whole, `<within>` how far into the next entry's space range the reader got (a big
 * join is paged), both base 36, and `<mark>` 8 characters naming the entry at `<after>`, so a
 * restored feed is noticed as a restored stream is. At most 64 characters: in the absurd case
 * of positions too long for that, the feed mark and then the stream mark are left out.
 */
export interface SpacesCursor extends Cursor {
  feed: FeedPosition
}

const FEED = /^([0-9a-z]{1,11})\.([0-9a-z]{1,11})(?:\.([0-9A-Za-z_-]{8}))?$/
const MAX_CURSOR = 64

export const parseSpacesCursor = (text: string | null | undefined): SpacesCursor => {
  const colon = text?.indexOf(':') ?? -1
  if (text === null || text === undefined || colon < 0)
    return { ...parseCursor(text), feed: { after: 0, within: 0 } }
  const own = parseCursor(text.slice(0, colon))
  const feed = FEED.exec(text.slice(colon + 1))
  if (colon === 0 || !own.readable || !feed)
    return { after: 0, readable: false, feed: { after: 0, within: 0 } }
  const after = Number.parseInt(feed[1] as string, 36)
  const within = Number.parseInt(feed[2] as string, 36)
  return { ...own, feed: { after, within, ...(feed[3] && { check: feed[3] }) } }
}

export const formatSpacesCursor = (
  own: { after: number; head: HeadMark | null },
  feed: { after: number; within: number; mark: string | null },
): string => {
  const plain = formatCursor(own.after, null)
  const marked = formatCursor(own.after, own.head)
  if (feed.after === 0 && feed.within === 0) return marked
  const position = `${feed.after.toString(36)}.${feed.within.toString(36)}`
  const tries = [
    `${marked}:${position}${feed.mark ? `.${feed.mark}` : ''}`,
    `${marked}:${position}`,
    `${plain}:${position}`,
  ]
  return tries.find((t) => t.length <= MAX_CURSOR) ?? (tries[2] as string)
}
