import { newId, parseWire, ROUTES, spaceSchemas } from '@tidings/protocol'
import type { FastifyInstance } from 'fastify'
import type { RouteContext } from '../context.js'

/**
 * The spaces and members routes of DESIGN §8, each authenticated like `/v1/sync`, its path and
 * body validated by the protocol's schemas before the store is asked. Who may do what is the
 * store's to decide (under the space's lock): `forbidden` for a caller who may not manage the
 * space, `not_found` for a space it is not in or a user who is not a member, `last_owner` when
 * the space would be left without an owner.
 */
export const spacesRoutes = (app: FastifyInstance, ctx: RouteContext): void => {
  const authed = { onRequest: ctx.requireCaller }

  app.post(ROUTES.spaces, authed, async (request, reply) => {
    const { name } = parseWire(spaceSchemas.createSpaceRequest, request.body, 'space')
    const owner = ctx.caller(request).userId
    const space = await ctx.store.createSpace({ id: newId(), name, owner, now: ctx.now() })
    return reply.status(201).send({ space })
  })

  app.get(ROUTES.spaces, authed, async (request) => ({
    spaces: await ctx.store.listSpaces(ctx.caller(request).userId),
  }))

  app.get(ROUTES.members, authed, async (request) => {
    const { space } = parseWire(spaceSchemas.spaceParams, request.params, 'path')
    return { members: await ctx.store.listMembers(space, ctx.caller(request).userId) }
  })

  app.put(ROUTES.member, authed, async (request) => {
    const { space, user } = parseWire(spaceSchemas.memberParams, request.params, 'path')
    const { role } = parseWire(spaceSchemas.setRoleRequest, request.body, 'role change')
    const caller = ctx.caller(request).userId
    return { member: await ctx.store.setRole({ space, caller, user, role, now: ctx.now() }) }
  })

  app.delete(ROUTES.member, authed, async (request, reply) => {
    const { space, user } = parseWire(spaceSchemas.memberParams, request.params, 'path')
    const caller = ctx.caller(request).userId
    await ctx.store.removeMember({ space, caller, user, now: ctx.now() })
    return reply.status(204).send()
  })
}
