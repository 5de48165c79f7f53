import {
  assertWithinDrift,
  parseWire,
  ROUTES,
  type SyncRequest,
  type SyncResponse,
  withParts,
} from '@tidings/protocol'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Caller } from '../../auth/authenticate.js'
import { DEFAULT_PAGE_BUNDLES, type RouteContext } from '../context.js'
import { answerCursor, cursorPull, parseCursor, parseSpacesCursor } from '../cursor.js'
import { withFeed } from '../feed-page.js'
import { horizonsOf } from '../horizons.js'
import { assertSchemaVersion } from '../schema-version.js'
import { sendWithPage } from './page-json.js'

/**
 * `POST /v1/sync`: push and pull in one round trip. Everything is validated before anything
 * is stored; the new bundles are stored in one transaction; the answer lists every request
 * bundle now held (the acknowledgement) and a page of the bundles after the cursor, less those
 * the request carried (its client holds them).
 *
 * A token seen before is confirmed by the store inside the push itself (no lookup of its own);
 * whatever else goes wrong, an unconfirmed token is settled first, so a revoked token always
 * gets 401, never a hint about its request (and registers no client).
 */
export const syncRoute = (
  app: FastifyInstance,
  ctx: RouteContext,
  options: { minSchemaVersion?: number } = {},
): void => {
  app.post(
    ROUTES.sync,
    { onRequest: ctx.identifyCaller },
    async (request, reply): Promise<FastifyReply> => {
      try {
        return await sync(ctx, request, reply, options.minSchemaVersion)
      } catch (err) {
        await ctx.confirmCaller(request)
        throw err
      }
    },
  )
}

const sync = async (
  ctx: RouteContext,
  request: FastifyRequest,
  reply: FastifyReply,
  minSchemaVersion: number | undefined,
): Promise<FastifyReply> => {
  const caller = ctx.caller(request)
  const body = parseWire(ctx.schemas.syncRequest, request.body, 'sync request')
  assertSchemaVersion(body.schema, minSchemaVersion)
  const now = ctx.now()
  // Released clients (no `protocol`) keep plain cursors; their marked form is never sent them.
  const marked = (body.protocol ?? 1) >= 2
  // Protocol 3 clients read their shared spaces too; older ones only their private stream.
  const spaces = (body.protocol ?? 1) >= 3 ? parseSpacesCursor(body.cursor) : null
  const cursor = spaces ?? parseCursor(body.cursor)
  assertWithinDrift(body.hlc, now, ctx.limits.maxDriftMs)
  for (const bundle of body.bundles) assertWithinDrift(bundle.hlc, now, ctx.limits.maxDriftMs)
  const clients = [...new Set([body.client, ...body.bundles.map((b) => b.client)])]
  if (!ctx.clients.knows(caller.userId, clients)) await ctx.confirmCaller(request)
  await ctx.clients.assertOwned(caller.userId, clients, now)
  const holder = ctx.holder(request)
  const limit = Math.min(DEFAULT_PAGE_BUNDLES, ctx.limits.maxPageBundles)
  // The page leaves out only what this request carries, never all of the caller's bundles: a
  // device that rolled back lacks some of its own, which can land after it resumed (pushed back
  // by a sibling after a restore, or by a late request of its own); only its pulls bring them.
  const exclude = body.bundles.map((b) => b.id)
  const { pushed, page } = await ctx.store.sync(
    {
      stream: caller.stream,
      // A part is stored with its bundle (and hashed with it); see wire/part.ts.
      bundles: withParts(body.bundles, body.parts),
      now,
      ...(holder && { holder }),
    },
    {
      stream: caller.stream,
      after: cursor.after,
      limit,
      maxEvents: ctx.pageEvents,
      exclude,
      ...cursorPull(cursor, marked),
    },
  )
  if (spaces) {
    const shared = await withFeed(ctx.store, {
      user: caller.stream,
      cursor: spaces,
      page,
      limit,
      maxEvents: ctx.pageEvents,
      exclude,
    })
    return sendWithPage<SyncResponse>(
      reply,
      {
        hlc: ctx.clock.send(),
        cursor: shared.cursor,
        ...(shared.reset && { reset: shared.reset }),
        accepted: pushed.accepted,
        more: shared.more,
        ...(await resumed(ctx, caller, body)),
        ...(shared.spaces.length > 0 && { spaces: shared.spaces }),
        ...(await horizonsOf(ctx.store, {
          user: caller.stream,
          own: page,
          shared: shared.streams,
        })),
      },
      shared.page,
    )
  }
  // send(), not receive(): the answer is the server's own time, which clients use to
  // estimate their offset; taking in client clocks would bias that estimate.
  return sendWithPage<SyncResponse>(
    reply,
    {
      hlc: ctx.clock.send(),
      // Released clients get the plain cursor alone, as they always did.
      ...(marked ? answerCursor(page, cursor, marked) : { cursor: String(page.cursor) }),
      accepted: pushed.accepted,
      more: page.more,
      ...(await resumed(ctx, caller, body)),
      ...(await horizonsOf(ctx.store, { user: caller.stream, own: page, shared: [] })),
    },
    page,
  )
}

/** With `resume`: the caller client's latest bundle, so a device that rolled back can tell. */
const resumed = async (
  ctx: RouteContext,
  caller: Caller,
  body: SyncRequest,
): Promise<Pick<SyncResponse, 'own'>> =>
  body.resume ? { own: await ctx.store.latestOf(caller.stream, body.client) } : {}
