import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'
import type { CorsOrigins } from './cors-origins.js'

/**
 * Answers preflights (`OPTIONS`) on every route, `/v1/live` included, and marks answers for the
 * allowed origins. No cookies are involved (the token travels in `Authorization`), so no
 * credentials mode. `Retry-After` is exposed so a browser client can honour a 429 or 503.
 */
export const registerCors = async (app: FastifyInstance, origins: CorsOrigins): Promise<void> => {
  await app.register(cors, {
    origin: origins === '*' ? '*' : [...origins],
    methods: ['GET', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type'],
    exposedHeaders: [
      'retry-after',
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
    ],
    maxAge: 600,
    strictPreflight: true,
  })
}
