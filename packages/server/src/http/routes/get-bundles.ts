import { type GetBundlesResponse, parseWire, partsOf, ROUTES, wholeBundle } from '@tidings/protocol'
import type { FastifyInstance } from 'fastify'
import type { RouteContext } from '../context.js'

/**
 * `POST /v1/bundles/get`: the asked bundles of the spaces the user is in now (its private
 * stream's untagged, shared ones with their `space`). Ids of other spaces' bundles are silently
 * absent, exactly like ids that do not exist: no existence leak.
 */
export const getBundlesRoute = (app: FastifyInstance, ctx: RouteContext): void => {
  app.post(
    ROUTES.getBundles,
    { onRequest: ctx.requireCaller },
    async (request): Promise<GetBundlesResponse> => {
      const body = parseWire(ctx.schemas.getBundlesRequest, request.body, 'bundle request')
      const bundles = await ctx.store.readableBundles(ctx.caller(request).stream, body.ids)
      const parts = partsOf(bundles)
      return { bundles: bundles.map(wholeBundle), ...(parts.length > 0 && { parts }) }
    },
  )
}
