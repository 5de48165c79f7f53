import { ROUTES } from '@tidings/protocol'
import type { FastifyInstance } from 'fastify'
import type { RouteContext } from '../context.js'
import { openapiDocument } from '../openapi.js'

/** `GET /v1/openapi.json`: built once per app from the validating schemas. */
export const openapiRoute = (app: FastifyInstance, ctx: RouteContext): void => {
  const document = openapiDocument(ctx.schemas)
  app.get(ROUTES.openapi, async () => document)
}
