import { type PullResponse, parseWire, ROUTES } from '@tidings/protocol'
import type { FastifyInstance } from 'fastify'
import { DEFAULT_PAGE_BUNDLES, type RouteContext } from '../context.js'
import { answerCursor, cursorPull, parseCursor } from '../cursor.js'
import { horizonsOf } from '../horizons.js'
import { sendWithPage } from './page-json.js'

/** `GET /v1/bundles?after=&limit=`: all of the user's bundles (every client), paged. */
export const bundlesRoute = (app: FastifyInstance, ctx: RouteContext): void => {
  app.get(ROUTES.bundles, { onRequest: ctx.requireCaller }, async (request, reply) => {
    const caller = ctx.caller(request)
    const query = parseWire(ctx.schemas.pullQuery, request.query, 'pull query')
    const cursor = parseCursor(query.after)
    // A marked cursor in, a marked cursor out (and checked), and a first call gets one too: a
    // reader that starts today is never handed a cursor a restore could silently outrun.
    // Plain cursors (released readers mid-way) stay plain.
    const marked = cursor.check !== undefined || !query.after
    const page = await ctx.store.pull({
      stream: caller.stream,
      after: cursor.after,
      limit: query.limit ?? Math.min(DEFAULT_PAGE_BUNDLES, ctx.limits.maxPageBundles),
      maxEvents: ctx.pageEvents,
      ...cursorPull(cursor, marked),
    })
    return sendWithPage<PullResponse>(
      reply,
      {
        ...answerCursor(page, cursor, marked),
        more: page.more,
        ...(await horizonsOf(ctx.store, { user: caller.stream, own: page, shared: [] })),
      },
      page,
    )
  })
}
