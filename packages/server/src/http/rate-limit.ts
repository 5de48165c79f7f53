import fastifyRateLimit from '@fastify/rate-limit'
import { AUTH_HEADER, BEARER, TidingsError } from '@tidings/protocol'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { hashToken } from '../auth/token.js'
import type { RateLimit } from './rate-limit-option.js'

/**
 * Whether an `Authorization` header holds a valid token: false for a bad one, throws on
 * anything else (the database is down). Asked only of requests from an address that has
 * failed authentication too often, so a valid token behind it still gets through.
 */
export type TokenCheck = (header: string) => Promise<boolean>

/**
 * Who a request counts against: the token it presents (hashed: raw tokens are never kept), else
 * its IP address. A token is counted before it is checked, so limiting costs no database read.
 */
const keyOf = (request: FastifyRequest): string => {
  const header = request.headers[AUTH_HEADER]
  if (typeof header === 'string' && header.startsWith(BEARER))
    return `token:${hashToken(header.slice(BEARER.length).trim())}`
  return `ip:${request.ip}`
}

/**
 * Limits every request (fixed window per key, in this process's memory: each node counts its
 * own). Past the limit: 429 `rate_limited` with `Retry-After` (seconds), before authentication
 * or body parsing cost anything. Failed authentications also count against the IP address, so
 * guessing tokens (a new key each guess) is held to the same limit as going without one.
 *
 * An address past its failure limit may be a proxy (or a NAT) that many users share, so its
 * requests are not refused blindly: their token is checked first (one indexed read, which a
 * bad token would have cost anyway), a valid one goes on and only bad ones get 429. Failed
 * logins thus never lock out a valid token, while every wrong guess past the limit still gets
 * 429 (and a right guess of 256 random bits is out of reach anyway).
 */
export const registerRateLimit = async (
  app: FastifyInstance,
  limit: RateLimit,
  tokenIsValid: TokenCheck,
): Promise<void> => {
  const refusal = (after: string, retryAfterMs: number) =>
    new TidingsError(
      'rate_limited',
      `more than ${limit.max} requests in ${limit.windowMs} ms; retry in ${after}`,
      { details: { retryAfterMs } },
    )
  await app.register(fastifyRateLimit, {
    global: false,
    max: limit.max,
    timeWindow: limit.windowMs,
    keyGenerator: keyOf,
    // Only refusals carry headers: three more on every answer cost time and bytes for nothing.
    addHeadersOnExceeding: {
      'x-ratelimit-limit': false,
      'x-ratelimit-remaining': false,
      'x-ratelimit-reset': false,
    },
    errorResponseBuilder: (_request, context) => refusal(context.after, context.ttl),
  })
  const failures = app.createRateLimit({
    max: limit.max,
    timeWindow: limit.windowMs,
    keyGenerator: (request) => `unauthenticated:${request.ip}`,
  })
  // App-wide hooks run before the routes' own `onRequest` (authentication).
  app.addHook('onRequest', async (request, reply) => {
    const header = request.headers[AUTH_HEADER]
    if (header === undefined) return
    const seen = await failures(request, { increment: false })
    if (seen.isAllowed || seen.remaining > 0) return
    if (await tokenIsValid(header)) return
    void reply.header('retry-after', seen.ttlInSeconds)
    throw refusal(`${seen.ttlInSeconds} s`, seen.ttl)
  })
  app.addHook('onRequest', app.rateLimit())
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode === 401) await failures(request)
  })
}
