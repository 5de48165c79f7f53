import { type PullResponse, parseWire, ROUTES } from '@tidings/protocol'
import type { FastifyInstance } from 'fastify'
import { DEFAULT_PAGE_BUNDLES, parseCursor, type RouteContext } from '../context.js'
import { sendWithPage } from './page-json.js'

/** `GET /v1/bundles?after=&limit=`: all of the user's bundles (every client), paged. */
export const bundlesRoute = (app: FastifyInstance, ctx: RouteContext): void => {
  app.get(ROUTES.bundles, { onRequest: ctx.requireCaller }, async (request, reply) => {
    const caller = ctx.caller(request)
    const query = parseWire(ctx.schemas.pullQuery, request.query, 'pull query')
    const page = await ctx.store.pull({
      stream: caller.stream,
      after: parseCursor(query.after),
      limit: query.limit ?? Math.min(DEFAULT_PAGE_BUNDLES, ctx.limits.maxPageBundles),
      maxEvents: ctx.pageEvents,
    })
    return sendWithPage<PullResponse>(reply, { cursor: String(page.cursor), more: page.more }, page)
  })
}
