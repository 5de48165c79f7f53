import type { SyncResponse } from '@tidings/protocol'
import type { Page, Store } from '../store/store.js'

/**
 * The `horizons` of a sync answer: the compaction horizons (see `store/compaction/`) of the
 * streams whose bundles the page carries: the private one (sent without `space`) and the
 * shared ones. Asked only for a page that carries bundles, so a quiet sync costs nothing more:
 * a device learns a space's horizon with the first compacted history it pulls of it.
 */
export const horizonsOf = async (
  store: Store,
  input: { user: string; own: Page; shared: readonly string[] },
): Promise<Pick<SyncResponse, 'horizons'>> => {
  const ownBundles =
    input.own.events !== undefined ? input.own.events > 0 : input.own.bundles.length > 0
  const streams = [...(ownBundles ? [input.user] : []), ...input.shared]
  if (streams.length === 0) return {}
  const found = await store.horizons(streams)
  if (found.size === 0) return {}
  return {
    horizons: [...found].map(([stream, hlc]) =>
      stream === input.user ? { hlc } : { space: stream, hlc },
    ),
  }
}
