import {
  type BundleIdsResponse,
  parseWire,
  ROUTES,
  spaceSchemas,
  TidingsError,
} from '@tidings/protocol'
import type { FastifyInstance } from 'fastify'
import type { RouteContext } from '../context.js'

/**
 * `GET /v1/bundle-ids?space=`: every bundle id of one space, in position order; without
 * `space`, of the user's private stream. A space the caller is not in now is refused.
 */
export const bundleIdsRoute = (app: FastifyInstance, ctx: RouteContext): void => {
  app.get(
    ROUTES.bundleIds,
    { onRequest: ctx.requireCaller },
    async (request): Promise<BundleIdsResponse> => {
      const { stream } = ctx.caller(request)
      const query = parseWire(spaceSchemas.spaceIdsQuery, request.query, 'bundle-ids query')
      const space = query.space ?? stream
      if (!(await ctx.store.mayRead(stream, space)))
        throw new TidingsError('forbidden', `the caller is not a member of space ${space}`, {
          details: { space },
        })
      return { ids: await ctx.store.bundleIds(space) }
    },
  )
}
