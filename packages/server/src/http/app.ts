import { resolve } from 'node:path'
import fastifyStatic from '@fastify/static'
import {
  DEFAULT_LIMITS,
  isTidingsError,
  type Limits,
  messageSchemas,
  type Schema,
} from '@tidings/protocol'
import Fastify, { type FastifyInstance } from 'fastify'
import { authenticate, bearerToken, isJwtHeader, type JwtAuth } from '../auth/authenticate.js'
import type { JwtIssuer } from '../auth/jwt/config.js'
import { JwtVerifier } from '../auth/jwt/verifier.js'
import { hashToken } from '../auth/token.js'
import { type LiveHub, registerLiveRoute, withMembershipPokes } from '../live/index.js'
import type { Store } from '../store/store.js'
import { WriterPool } from '../writer/writer-pool.js'
import { RouteContext } from './context.js'
import { registerCors } from './cors.js'
import type { CorsOrigins } from './cors-origins.js'
import { handleError, handleNotFound } from './errors.js'
import { registerRateLimit } from './rate-limit.js'
import { DEFAULT_RATE_LIMIT, type RateLimit } from './rate-limit-option.js'
import { bundleIdsRoute } from './routes/bundle-ids.js'
import { bundlesRoute } from './routes/bundles.js'
import { demoRoute } from './routes/demo.js'
import { getBundlesRoute } from './routes/get-bundles.js'
import { healthRoute } from './routes/health.js'
import { invitesRoutes } from './routes/invites.js'
import { openapiRoute } from './routes/openapi.js'
import { spacesRoutes } from './routes/spaces.js'
import { syncRoute } from './routes/sync.js'
import { writesRoute } from './routes/writes.js'
import { fastifyTrustProxy, type TrustProxy } from './trust-proxy.js'

export interface AppDeps {
  store: Store
  limits?: Partial<Limits>
  /** Wall clock, epoch ms; injectable for tests. */
  now?: () => number
  /** false (default), true, or pino options. The Authorization header is always redacted. */
  logger?: boolean | Record<string, unknown>
  /** Serves `GET /v1/live` pokes from this hub (issue 7; see src/live/). */
  live?: LiveHub
  /** A built single-page app to serve at `/` (unknown non-API paths answer its index.html). */
  static?: string
  /** A pull page stops growing past about this many events; default 10,000. */
  pageEvents?: number
  /** Serve `GET /config.json` with the demo token (insecure demo mode). */
  demo?: boolean
  /** Requests per user (its token; or per IP, without one); default `DEFAULT_RATE_LIMIT`; false: off. */
  rateLimit?: RateLimit | false
  /** Which peers may name the client's address in `X-Forwarded-For`; default none. */
  trustProxy?: TrustProxy
  /**
   * Identity providers whose JWTs authenticate users beside the server's own tokens (see
   * `auth/jwt/config.ts`; parse a config with `parseJwtIssuers`). Default: none.
   */
  jwtIssuers?: readonly JwtIssuer[]
  /** Origins whose pages may call the API from a browser (`*`: any); default none. */
  cors?: CorsOrigins
  /** Syncs from apps with an older schema version (or none) are refused: `schema_too_old`. */
  minSchemaVersion?: number
  /**
   * The app's schema (`defineSchema`): `POST /v1/spaces/:space/writes` checks writes against
   * it. Without one, that route checks only the wire's rules (identifiers, JSON values).
   */
  schema?: Schema
}

const REDACT = {
  paths: ['req.headers.authorization', 'req.headers.cookie', 'token', '*.token'],
  censor: '[redacted]',
}

const loggerOption = (logger: AppDeps['logger']): false | Record<string, unknown> => {
  if (!logger) return false
  return { ...(logger === true ? {} : logger), redact: REDACT }
}

/** A bad token answers false; any other failure (the database is down) is thrown. */
const tokenIsValid = (store: Store, header: string, jwt: JwtAuth | undefined): Promise<boolean> =>
  authenticate(store, header, jwt).then(
    () => true,
    (error: unknown) => {
      if (isTidingsError(error) && error.code === 'unauthorized') return false
      throw error
    },
  )

/** The Fastify app with every route of DESIGN.md §6 and §8; not listening yet. */
export const buildApp = async (deps: AppDeps): Promise<FastifyInstance> => {
  const limits: Limits = { ...DEFAULT_LIMITS, ...deps.limits }
  const app = Fastify({
    logger: loggerOption(deps.logger),
    bodyLimit: limits.maxBodyBytes,
    trustProxy: fastifyTrustProxy(deps.trustProxy ?? false),
  })
  const now = deps.now ?? Date.now
  const jwt: JwtAuth | undefined =
    deps.jwtIssuers && deps.jwtIssuers.length > 0
      ? { verifier: new JwtVerifier(deps.jwtIssuers, now), now }
      : undefined
  // Membership changes poke the changed user's live streams (on every node, through the hub).
  const store = deps.live ? withMembershipPokes(deps.store, deps.live) : deps.store
  const ctx = new RouteContext(store, limits, messageSchemas(limits), now, deps.pageEvents, jwt)
  // JSON only: any other body (Fastify also parses text/plain by default) answers 415.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    app.getDefaultJsonParser('error', 'error'),
  )
  app.setErrorHandler(handleError)
  // Before the rate limit: a preflight carries no token and must never count or be refused.
  if (deps.cors) await registerCors(app, deps.cors)
  const rateLimit = deps.rateLimit ?? DEFAULT_RATE_LIMIT
  if (rateLimit)
    await registerRateLimit(app, rateLimit, (header) => tokenIsValid(deps.store, header, jwt))
  // While closing, answers in flight also close their connection, so shutdown does not wait
  // for keep-alive sockets to time out.
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close')
  })
  healthRoute(app, ctx)
  openapiRoute(app, ctx)
  syncRoute(
    app,
    ctx,
    deps.minSchemaVersion === undefined ? {} : { minSchemaVersion: deps.minSchemaVersion },
  )
  bundlesRoute(app, ctx)
  bundleIdsRoute(app, ctx)
  getBundlesRoute(app, ctx)
  spacesRoutes(app, ctx)
  invitesRoutes(app, ctx)
  writesRoute(app, ctx, new WriterPool(store, deps.schema, limits, now))
  if (deps.live) {
    const { store } = deps
    registerLiveRoute(app, {
      hub: deps.live,
      authenticate: async (request) => {
        const header = request.headers.authorization
        const caller = await authenticate(store, header, jwt)
        // A JWT's stream ends at its `exp`; a server token's, once the database no longer holds it.
        if (isJwtHeader(header)) return { stream: caller.stream, expiresAt: caller.expiresAt }
        return { stream: caller.stream, credential: hashToken(bearerToken(header)) }
      },
      stillValid: (tokenHashes) => store.heldTokens(tokenHashes),
    })
  }
  if (deps.demo) demoRoute(app)
  if (deps.static !== undefined) {
    await app.register(fastifyStatic, { root: resolve(deps.static), wildcard: false })
    app.setNotFoundHandler((request, reply) => {
      const isApi = request.url.startsWith('/v1/')
      if (request.method === 'GET' && !isApi) return reply.sendFile('index.html')
      return handleNotFound(request, reply)
    })
  } else {
    app.setNotFoundHandler(handleNotFound)
  }
  return app
}
