import { HybridClock, type Limits, type MessageSchemas, TidingsError } from '@tidings/protocol'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { authenticate, type Caller } from '../auth/authenticate.js'
import { ClientRegistry } from '../auth/clients.js'
import type { Store } from '../store/store.js'

/** Bundles per page when the client does not ask for fewer. */
export const DEFAULT_PAGE_BUNDLES = 500
/** Events per page, roughly: a page stops growing past this (always at least one bundle). */
export const MAX_PAGE_EVENTS = 10_000

/** What every route needs; built once per app, no globals. */
export class RouteContext {
  readonly clients: ClientRegistry
  /** The server's own clock: answers carry its time so clients can estimate their offset. */
  readonly clock: HybridClock
  private readonly callers = new WeakMap<FastifyRequest, Caller>()

  constructor(
    readonly store: Store,
    readonly limits: Limits,
    readonly schemas: MessageSchemas,
    readonly now: () => number,
    /** Events per page, roughly (see MAX_PAGE_EVENTS). */
    readonly pageEvents: number = MAX_PAGE_EVENTS,
  ) {
    this.clients = new ClientRegistry(store)
    this.clock = new HybridClock({ node: 'server', now })
  }

  /** `onRequest` hook of every authenticated route: runs before the body is even read. */
  readonly requireCaller = async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    this.callers.set(request, await authenticate(this.store, request.headers.authorization))
  }

  caller(request: FastifyRequest): Caller {
    const caller = this.callers.get(request)
    if (!caller) throw new TidingsError('internal', 'route is missing its authentication hook')
    return caller
  }
}

/** A cursor the server gave out (decimal position), or the beginning for null / "". */
export const parseCursor = (cursor: string | null | undefined): number => {
  if (cursor === null || cursor === undefined || cursor === '') return 0
  if (!/^\d{1,15}$/.test(cursor))
    throw new TidingsError(
      'bad_request',
      `unknown cursor ${JSON.stringify(cursor)}: send one this server gave out, or null`,
    )
  return Number(cursor)
}
