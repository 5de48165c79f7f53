/** Every protocol name lives here; nothing else spells a route or header. */
export const PROTOCOL_VERSION = 1

/**
 * The revision of `/v1/sync` a client speaks, sent as `protocol` in every request. 1 (or
 * absent): the first release. 2: marked cursors and `reset` (invariant 7), `resume` and `own`
 * (a device that rolled back gets its own bundles back).
 */
export const SYNC_PROTOCOL = 2

export const ROUTES = {
  sync: '/v1/sync',
  bundles: '/v1/bundles',
  bundleIds: '/v1/bundle-ids',
  getBundles: '/v1/bundles/get',
  live: '/v1/live',
  health: '/v1/health',
  openapi: '/v1/openapi.json',
} as const

export const AUTH_HEADER = 'authorization'
export const BEARER = 'Bearer '
