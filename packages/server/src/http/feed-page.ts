import { type SpaceChange, wholeBundle } from '@tidings/protocol'
import type { FeedPage, FeedPosition } from '../store/feed-pull.js'
import type { Page, Store } from '../store/store.js'
import { formatSpacesCursor, type SpacesCursor } from './cursor.js'

/** A protocol 3 answer's page: the private stream's, then the shared spaces' from the feed. */
export interface SpacesAnswer {
  page: Page
  cursor: string
  more: boolean
  reset?: true
  spaces: SpaceChange[]
  /** The shared spaces the page carries bundles of. */
  streams: string[]
}

/**
 * Completes a private page (read after the push, as protocol 2 does) with the caller's shared
 * spaces: once the private stream is drained, the feed after the cursor's feed position fills
 * what is left of the page's budget. A cursor whose feed entry is gone or changed (a restore)
 * replays both from the beginning, marked `reset`, as a failed stream check does.
 */
export const withFeed = async (
  store: Store,
  input: {
    user: string
    cursor: SpacesCursor
    page: Page
    limit: number
    maxEvents: number
    /** The bundles the request carried, left out of the page (see `PullOptions.exclude`). */
    exclude?: readonly string[]
  },
): Promise<SpacesAnswer> => {
  const { user, limit, maxEvents, exclude } = input
  let own = input.page
  let reset = own.reset === true || !input.cursor.readable
  const start: FeedPosition = reset ? { after: 0, within: 0 } : input.cursor.feed
  const read = (position: FeedPosition, page: Page): Promise<FeedPage> | null => {
    if (page.more) return null
    const events = page.events ?? page.bundles.reduce((sum, b) => sum + b.events.length, 0)
    const room = events >= maxEvents ? 0 : limit - page.bundles.length
    return store.pullFeed({
      user,
      ...position,
      limit: Math.max(0, room),
      maxEvents: maxEvents - events,
      ...(exclude !== undefined && { exclude }),
    })
  }
  let feed = await read(start, own)
  if (feed?.reset) {
    own = await store.pull({
      stream: user,
      after: 0,
      limit,
      maxEvents,
      marked: true,
      ...(exclude !== undefined && { exclude }),
    })
    reset = true
    feed = await read({ after: 0, within: 0 }, own)
  }
  const position = feed?.position ?? {
    after: start.after,
    within: start.within,
    mark: start.check ?? null,
  }
  return {
    page: joined(own, feed),
    cursor: formatSpacesCursor({ after: own.cursor, head: own.head ?? null }, position),
    more: own.more || feed === null || feed.more,
    ...(reset && { reset: true as const }),
    spaces: feed?.changes ?? [],
    streams: feed?.streams ?? [],
  }
}

/** One page of both: the private bundles (untagged) first, then the shared ones (tagged). */
const joined = (own: Page, feed: FeedPage | null): Page => {
  if (!feed || feed.bundlesJson === '[]') return own
  const ownJson = own.bundlesJson ?? JSON.stringify(own.bundles.map(wholeBundle))
  return {
    get bundles() {
      return [...own.bundles, ...feed.bundles]
    },
    bundlesJson:
      ownJson === '[]' ? feed.bundlesJson : `${ownJson.slice(0, -1)},${feed.bundlesJson.slice(1)}`,
    parts: [...(own.parts ?? []), ...feed.parts],
    cursor: own.cursor,
    more: own.more || feed.more,
  }
}
