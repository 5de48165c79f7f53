import fastifyRateLimit from '@fastify/rate-limit'
import { AUTH_HEADER, BEARER, TidingsError } from '@tidings/protocol'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { hashToken } from '../auth/token.js'
import type { RateLimit } from './rate-limit-option.js'

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
 */
export const registerRateLimit = async (app: FastifyInstance, limit: RateLimit): Promise<void> => {
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
    if (request.headers[AUTH_HEADER] === undefined) return
    const seen = await failures(request, { increment: false })
    if (seen.isAllowed || seen.remaining > 0) return
    void reply.header('retry-after', seen.ttlInSeconds)
    throw refusal(`${seen.ttlInSeconds} s`, seen.ttl)
  })
  app.addHook('onRequest', app.rateLimit())
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode === 401) await failures(request)
  })
}
