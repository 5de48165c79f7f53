/** Every protocol name lives here; nothing else spells a route or header. */
export const PROTOCOL_VERSION = 1

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
