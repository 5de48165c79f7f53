import { type Health, ROUTES } from '@tidings/protocol'
import type { FastifyInstance } from 'fastify'
import { SERVER_VERSION } from '../../version.js'
import type { RouteContext } from '../context.js'

/** `GET /v1/health`: liveness without auth, with the server time. */
export const healthRoute = (app: FastifyInstance, ctx: RouteContext): void => {
  app.get(
    ROUTES.health,
    async (): Promise<Health> => ({
      ok: true,
      version: SERVER_VERSION,
      time: new Date(ctx.now()).toISOString(),
    }),
  )
}
