import { HybridClock, type Limits, type MessageSchemas, TidingsError } from '@tidings/protocol'
import type { FastifyReply, FastifyRequest } from 'fastify'
import {
  authenticate,
  bearerToken,
  type Caller,
  isJwtHeader,
  type JwtAuth,
} from '../auth/authenticate.js'
import { ClientRegistry } from '../auth/clients.js'
import { KnownTokens } from '../auth/known-tokens.js'
import { hashToken } from '../auth/token.js'
import type { Store, TokenHolder } from '../store/store.js'

/**
 * Bundles per page when the client does not ask for fewer (still capped by `maxPageBundles`).
 * Large, so an initial sync of small bundles is few round trips; MAX_PAGE_EVENTS bounds a page.
 */
export const DEFAULT_PAGE_BUNDLES = 1_000
/** Events per page, roughly: a page stops growing past this (always at least one bundle). */
export const MAX_PAGE_EVENTS = 10_000

/** What every route needs; built once per app, no globals. */
export class RouteContext {
  readonly clients: ClientRegistry
  /** The server's own clock: answers carry its time so clients can estimate their offset. */
  readonly clock: HybridClock
  private readonly callers = new WeakMap<FastifyRequest, Caller>()
  /** Requests whose token is known but not yet confirmed; the store confirms it (TokenHolder). */
  private readonly unconfirmed = new WeakMap<FastifyRequest, TokenHolder>()
  private readonly tokens = new KnownTokens()
  /** The same for identity providers' users, by `(issuer, subject)` (see `identityKey`). */
  private readonly identities = new KnownTokens()

  constructor(
    readonly store: Store,
    readonly limits: Limits,
    readonly schemas: MessageSchemas,
    readonly now: () => number,
    /** Events per page, roughly (see MAX_PAGE_EVENTS). */
    readonly pageEvents: number = MAX_PAGE_EVENTS,
    /** JWT authentication beside the server's own tokens, when issuers are configured. */
    readonly jwt?: JwtAuth,
  ) {
    this.clients = new ClientRegistry(store)
    this.clock = new HybridClock({ node: 'server', now })
  }

  /** `onRequest` hook of every authenticated route: runs before the body is even read. */
  readonly requireCaller = async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    await this.authenticateNow(request)
  }

  /**
   * `onRequest` hook of `POST /v1/sync`: a token seen before names its caller from memory, and
   * the route hands `holder(request)` to the store, which confirms the token in the same round
   * trip as the push. Any other token is looked up at once, as `requireCaller` does. A JWT is
   * verified here in any case (its signature and claims are the credential); what is owed to
   * the store is only that its user, if remembered, is not revoked.
   */
  readonly identifyCaller = async (
    request: FastifyRequest,
    _reply: FastifyReply,
  ): Promise<void> => {
    const header = request.headers.authorization
    if (isJwtHeader(header)) return this.identifyJwtCaller(request, bearerToken(header))
    const tokenHash = hashToken(bearerToken(header))
    const known = this.tokens.recall(tokenHash)
    if (!known) return this.authenticateNow(request)
    this.callers.set(request, known)
    this.unconfirmed.set(request, { userId: known.userId, tokenHash })
  }

  private async identifyJwtCaller(request: FastifyRequest, token: string): Promise<void> {
    if (!this.jwt) return this.authenticateNow(request)
    const { issuer, subject, expiresAt } = await this.jwt.verifier.verify(token)
    const known = this.identities.recall(identityKey(issuer, subject))
    if (!known) return this.authenticateNow(request)
    this.callers.set(request, { ...known, expiresAt })
    this.unconfirmed.set(request, { userId: known.userId, tokenHash: null })
  }

  /** The token check still owed by the store, if any (see `identifyCaller`). */
  holder(request: FastifyRequest): TokenHolder | undefined {
    return this.unconfirmed.get(request)
  }

  /** Settles an owed token check now: 401 for a revoked token, before anything else is said. */
  async confirmCaller(request: FastifyRequest): Promise<void> {
    if (this.unconfirmed.has(request)) await this.authenticateNow(request)
  }

  private async authenticateNow(request: FastifyRequest): Promise<void> {
    const header = request.headers.authorization
    const caller = await authenticate(this.store, header, this.jwt)
    this.callers.set(request, caller)
    this.unconfirmed.delete(request)
    const token = bearerToken(header)
    if (!isJwtHeader(header)) this.tokens.remember(hashToken(token), caller)
    else if (this.jwt) {
      // Verified a moment ago, so this is the verifier's memory, not a second signature check.
      const { issuer, subject } = await this.jwt.verifier.verify(token)
      this.identities.remember(identityKey(issuer, subject), caller)
    }
  }

  caller(request: FastifyRequest): Caller {
    const caller = this.callers.get(request)
    if (!caller) throw new TidingsError('internal', 'route is missing its authentication hook')
    return caller
  }
}

/** One key per identity (JSON, so no two pairs share one). */
const identityKey = (issuer: string, subject: string): string => JSON.stringify([issuer, subject])
