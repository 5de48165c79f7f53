import {
  parseWire,
  ROUTES,
  spaceSchemas,
  type WritesResponse,
  writesSchemas,
} from '@tidings/protocol'
import type { FastifyInstance } from 'fastify'
import { fromWire, type WriteOp } from '../../writer/ops.js'
import type { WriterPool } from '../../writer/writer-pool.js'
import type { RouteContext } from '../context.js'

/**
 * `POST /v1/spaces/:space/writes`: a server-side writer for a backend in another language. The
 * caller is a service user (any user whose token has a `writer` or `owner` role in the space);
 * its writes are checked against the app's schema when the server has one (`bad_request` with
 * a schema reason: `unknown_type`, `unknown_attribute`, `wrong_value`, …), stamped by the
 * user's `http` writer and pushed as one bundle through the devices' push path: a reader or a
 * non-member gets `forbidden`, and members' devices are poked. Answers the ids and HLCs.
 */
export const writesRoute = (app: FastifyInstance, ctx: RouteContext, writers: WriterPool): void => {
  const schemas = writesSchemas(ctx.limits)
  app.post(ROUTES.writes, { onRequest: ctx.requireCaller }, async (request) => {
    const { space } = parseWire(spaceSchemas.spaceParams, request.params, 'path')
    const body = parseWire(schemas.writesRequest, request.body, 'writes request')
    const writer = await writers.of(ctx.caller(request).userId)
    const ops = fromWire(writers.schema, body.writes as WriteOp[])
    const result: WritesResponse = await writer.write(ops, { space })
    return result
  })
}
