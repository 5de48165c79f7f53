/** Every protocol name lives here; nothing else spells a route or header. */
export const PROTOCOL_VERSION = 1

/**
 * The revision of `/v1/sync` a client speaks, sent as `protocol` in every request. 1 (or
 * absent): the first release. 2: marked cursors and `reset` (invariant 7), `resume` and `own`
 * (a device that rolled back gets its own bundles back). 3: shared spaces (DESIGN §8): bundles of
 * every space the caller is in, tagged with their `space`, and the caller's membership changes.
 */
export const SYNC_PROTOCOL = 3

export const ROUTES = {
  sync: '/v1/sync',
  bundles: '/v1/bundles',
  bundleIds: '/v1/bundle-ids',
  getBundles: '/v1/bundles/get',
  live: '/v1/live',
  health: '/v1/health',
  openapi: '/v1/openapi.json',
  spaces: '/v1/spaces',
  members: '/v1/spaces/:space/members',
  member: '/v1/spaces/:space/members/:user',
  invites: '/v1/spaces/:space/invites',
  invite: '/v1/spaces/:space/invites/:invite',
  acceptInvite: '/v1/invites/accept',
  writes: '/v1/spaces/:space/writes',
} as const

/** A route with its `:params` filled in (each value URL-encoded). */
export const routePath = (route: string, params: Record<string, string>): string =>
  route.replace(/:([a-z]+)/g, (_, key: string) => {
    const value = params[key]
    if (value === undefined) throw new Error(`route ${route} needs :${key}`)
    return encodeURIComponent(value)
  })

export const AUTH_HEADER = 'authorization'
export const BEARER = 'Bearer '
