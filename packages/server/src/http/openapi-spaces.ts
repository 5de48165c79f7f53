import { type ERROR_STATUS, ROUTES, spaceSchemas } from '@tidings/protocol'
import type { z } from 'zod'

type JsonSchema = Record<string, unknown>
type Code = keyof typeof ERROR_STATUS

/** The pieces of `openapi.ts` the spaces paths are made of. */
export interface OpenapiParts {
  schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema
  json(schema: JsonSchema): JsonSchema
  refusals(...codes: Code[]): JsonSchema
  /** The refusals every authenticated route may answer. */
  common: JsonSchema
}

/** An OpenAPI path template of a route: `/v1/spaces/:space` is `/v1/spaces/{space}`. */
export const openapiPath = (route: string): string => route.replace(/:([a-z]+)/g, '{$1}')

const PARAMETER_DOC: Record<string, string> = {
  space: 'a shared space’s id (a private space’s id is its user’s id)',
  user: 'a user’s id, as `members[].user` gives it',
  invite: 'an invite’s id, as `invites[].id` gives it (never its code)',
}

/**
 * The routes of DESIGN §8 (spaces, members, invites), from the schemas that validate them.
 * `forbidden` answers a caller who may not manage the space (whether or not it exists),
 * `not_found` a space the caller is not in, or a user who is not a member.
 */
export const spacesPaths = (parts: OpenapiParts): Record<string, JsonSchema> => {
  const { schemaOf, json, refusals, common } = parts
  const authed = { security: [{ bearer: [] }] }
  const ok = (schema: z.ZodType, description: string, status = '200') => ({
    [status]: { description, content: json(schemaOf(schema, 'output')) },
  })
  const noContent = { '204': { description: 'done; no body' } }
  const body = (schema: z.ZodType) => ({
    requestBody: { required: true, content: json(schemaOf(schema, 'input')) },
  })
  const params = (...names: string[]) => ({
    parameters: names.map((name) => ({
      name,
      in: 'path',
      required: true,
      description: PARAMETER_DOC[name],
      schema: { type: 'string', format: 'uuid' },
    })),
  })
  return {
    [openapiPath(ROUTES.spaces)]: {
      post: {
        ...authed,
        summary: 'Create a shared space; the caller is its owner',
        ...body(spaceSchemas.createSpaceRequest),
        responses: {
          ...ok(spaceSchemas.spaceResponse, 'the new space', '201'),
          ...refusals('bad_request'),
          ...common,
        },
      },
      get: {
        ...authed,
        summary: 'The caller’s spaces: its private space first (private: true), then by name',
        responses: {
          ...ok(spaceSchemas.spacesResponse, 'spaces with the caller’s role'),
          ...common,
        },
      },
    },
    [openapiPath(ROUTES.members)]: {
      get: {
        ...authed,
        ...params('space'),
        summary: 'The members of a space (members only): owners, then writers, then readers',
        responses: {
          ...ok(spaceSchemas.membersResponse, 'members'),
          ...refusals('bad_request', 'not_found'),
          ...common,
        },
      },
    },
    [openapiPath(ROUTES.member)]: {
      put: {
        ...authed,
        ...params('space', 'user'),
        summary: 'Change an existing member’s role (owners only; the last owner stays)',
        ...body(spaceSchemas.setRoleRequest),
        responses: {
          ...ok(spaceSchemas.memberResponse, 'the member with its new role'),
          ...refusals('bad_request', 'forbidden', 'not_found', 'last_owner'),
          ...common,
        },
      },
      delete: {
        ...authed,
        ...params('space', 'user'),
        summary: 'Remove a member (owners only); any member may remove itself (leave)',
        responses: {
          ...noContent,
          ...refusals('bad_request', 'forbidden', 'not_found', 'last_owner'),
          ...common,
        },
      },
    },
    [openapiPath(ROUTES.invites)]: {
      post: {
        ...authed,
        ...params('space'),
        summary: 'Create an invite (owners only); its code is in this answer only',
        ...body(spaceSchemas.createInviteRequest),
        responses: {
          ...ok(spaceSchemas.inviteCreatedResponse, 'the code, shown once, and the invite', '201'),
          ...refusals('bad_request', 'forbidden'),
          ...common,
        },
      },
      get: {
        ...authed,
        ...params('space'),
        summary: 'The space’s invites not revoked, without their codes (owners only)',
        responses: {
          ...ok(spaceSchemas.invitesResponse, 'invites'),
          ...refusals('bad_request', 'forbidden'),
          ...common,
        },
      },
    },
    [openapiPath(ROUTES.invite)]: {
      delete: {
        ...authed,
        ...params('space', 'invite'),
        summary: 'Revoke an invite (owners only): its code stops working',
        responses: {
          ...noContent,
          ...refusals('bad_request', 'forbidden', 'not_found'),
          ...common,
        },
      },
    },
    [openapiPath(ROUTES.acceptInvite)]: {
      post: {
        ...authed,
        summary:
          'Join the space an invite code names; a member keeps a higher role and uses nothing',
        ...body(spaceSchemas.acceptInviteRequest),
        responses: {
          ...ok(spaceSchemas.spaceResponse, 'the space with the caller’s role'),
          ...refusals('bad_request', 'not_found', 'gone'),
          ...common,
        },
      },
    },
  }
}
