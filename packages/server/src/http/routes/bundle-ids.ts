import { type BundleIdsResponse, ROUTES } from '@tidings/protocol'
import type { FastifyInstance } from 'fastify'
import type { RouteContext } from '../context.js'

/** `GET /v1/bundle-ids`: every bundle id of the user's stream, in stream order. */
export const bundleIdsRoute = (app: FastifyInstance, ctx: RouteContext): void => {
  app.get(
    ROUTES.bundleIds,
    { onRequest: ctx.requireCaller },
    async (request): Promise<BundleIdsResponse> => {
      return { ids: await ctx.store.bundleIds(ctx.caller(request).stream) }
    },
  )
}
