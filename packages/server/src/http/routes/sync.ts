import { assertWithinDrift, parseWire, ROUTES, type SyncResponse } from '@tidings/protocol'
import type { FastifyInstance } from 'fastify'
import { DEFAULT_PAGE_BUNDLES, parseCursor, type RouteContext } from '../context.js'

/**
 * `POST /v1/sync`: push and pull in one round trip. Everything is validated before anything
 * is stored; the new bundles are stored in one transaction; the answer lists every request
 * bundle now held (the acknowledgement) and a page of the other clients' bundles.
 */
export const syncRoute = (app: FastifyInstance, ctx: RouteContext): void => {
  app.post(
    ROUTES.sync,
    { onRequest: ctx.requireCaller },
    async (request): Promise<SyncResponse> => {
      const caller = ctx.caller(request)
      const body = parseWire(ctx.schemas.syncRequest, request.body, 'sync request')
      const now = ctx.now()
      const after = parseCursor(body.cursor)
      assertWithinDrift(body.hlc, now, ctx.limits.maxDriftMs)
      for (const bundle of body.bundles) assertWithinDrift(bundle.hlc, now, ctx.limits.maxDriftMs)
      const clients = new Set([body.client, ...body.bundles.map((b) => b.client)])
      await ctx.clients.assertOwned(caller.userId, [...clients], now)
      const { pushed, page } = await ctx.store.sync(
        { stream: caller.stream, bundles: body.bundles, now },
        {
          stream: caller.stream,
          after,
          limit: Math.min(DEFAULT_PAGE_BUNDLES, ctx.limits.maxPageBundles),
          maxEvents: ctx.pageEvents,
          excludeClient: body.client,
        },
      )
      // send(), not receive(): the answer is the server's own time, which clients use to
      // estimate their offset; taking in client clocks would bias that estimate.
      return {
        hlc: ctx.clock.send(),
        cursor: String(page.cursor),
        accepted: pushed.accepted,
        bundles: page.bundles,
        more: page.more,
      }
    },
  )
}
