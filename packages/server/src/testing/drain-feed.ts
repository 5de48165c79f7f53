import { expect } from 'vitest'
import type { Store } from '../store/store.js'

/** Everything a user's feed gives from its beginning, page by page, each page checked. */
export const drainFeed = async (
  store: Store,
  user: string,
  options: { limit?: number; exclude?: readonly string[] } = {},
) => {
  const ids: string[] = []
  const spaces: string[] = []
  const changes: Array<{ id: string; role: string | null }> = []
  let position = { after: 0, within: 0 }
  for (;;) {
    const page = await store.pullFeed({
      user,
      ...position,
      limit: options.limit ?? 100,
      maxEvents: 10_000,
      ...(options.exclude && { exclude: options.exclude }),
    })
    ids.push(...page.bundles.map((b) => b.id))
    spaces.push(...page.bundles.map((b) => b.space ?? ''))
    changes.push(...page.changes.map((c) => ({ id: c.id, role: c.role })))
    expect(JSON.parse(page.bundlesJson)).toEqual(
      page.bundles.map(({ part: _, ...b }) => JSON.parse(JSON.stringify(b))),
    )
    position = { after: page.position.after, within: page.position.within }
    if (!page.more) return { ids, spaces, changes, position }
  }
}
