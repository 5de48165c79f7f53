import { newId, parseWire, ROUTES, spaceSchemas } from '@tidings/protocol'
import type { FastifyInstance } from 'fastify'
import { hashToken, newToken } from '../../auth/token.js'
import type { RouteContext } from '../context.js'

/**
 * A new invite code: 256 random bits, base64url (DESIGN §8 asks ≥ 128). Shown once, in the
 * answer that creates it; the store keeps only its SHA-256, and no log line carries it.
 */
export const newInviteCode = (): string => newToken()

/** What the store keeps and looks codes up by: SHA-256, base64url (as for tokens). */
export const hashInviteCode = (code: string): string => hashToken(code)

/**
 * The invite routes of DESIGN §8: owners create, list and revoke a space's invites; anyone
 * signed in accepts a code. An unknown code is `not_found`; an expired, revoked or used-up
 * one is `gone` (410).
 */
export const invitesRoutes = (app: FastifyInstance, ctx: RouteContext): void => {
  const authed = { onRequest: ctx.requireCaller }

  app.post(ROUTES.invites, authed, async (request, reply) => {
    const { space } = parseWire(spaceSchemas.spaceParams, request.params, 'path')
    const body = parseWire(spaceSchemas.createInviteRequest, request.body, 'invite')
    const now = ctx.now()
    const code = newInviteCode()
    const invite = await ctx.store.createInvite({
      id: newId(),
      space,
      caller: ctx.caller(request).userId,
      codeHash: hashInviteCode(code),
      role: body.role,
      ...(body.expiresInSeconds !== undefined && {
        expiresAt: now + body.expiresInSeconds * 1_000,
      }),
      ...(body.maxUses !== undefined && { maxUses: body.maxUses }),
      now,
    })
    return reply.status(201).send({ code, invite })
  })

  app.get(ROUTES.invites, authed, async (request) => {
    const { space } = parseWire(spaceSchemas.spaceParams, request.params, 'path')
    return { invites: await ctx.store.listInvites(space, ctx.caller(request).userId) }
  })

  app.delete(ROUTES.invite, authed, async (request, reply) => {
    const { space, invite } = parseWire(spaceSchemas.inviteParams, request.params, 'path')
    const caller = ctx.caller(request).userId
    await ctx.store.revokeInvite({ space, caller, invite, now: ctx.now() })
    return reply.status(204).send()
  })

  app.post(ROUTES.acceptInvite, authed, async (request) => {
    const { code } = parseWire(spaceSchemas.acceptInviteRequest, request.body, 'invite code')
    const user = ctx.caller(request).userId
    return {
      space: await ctx.store.acceptInvite({ codeHash: hashInviteCode(code), user, now: ctx.now() }),
    }
  })
}
