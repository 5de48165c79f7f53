import { tokenSourceOf } from '../sync/token-source.js'
import type { ServerOptions } from '../sync/types.js'
import { LiveConnection } from './live-connection.js'
import { LiveSync, type LiveSyncOptions } from './live-sync.js'

/**
 * The client's live sync, if it has a server and did not opt out (`server.live: false`):
 * one event stream over the same URLs, token and `fetch` as its requests. Started by
 * `startSync()`.
 */
export const createLiveSync = (
  options: Omit<LiveSyncOptions, 'source'> & { server: ServerOptions | undefined },
): LiveSync | null => {
  const { server, ...rest } = options
  if (!server || server.live === false) return null
  const source = new LiveConnection({
    urls: typeof server.url === 'string' ? [server.url] : server.url,
    token: tokenSourceOf(server),
    ...(server.fetch ? { fetch: server.fetch } : {}),
  })
  return new LiveSync({ ...rest, source })
}
