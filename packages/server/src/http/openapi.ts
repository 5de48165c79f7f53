import {
  ERROR_STATUS,
  type MessageSchemas,
  PROTOCOL_VERSION,
  ROUTES,
  spaceSchemas,
} from '@tidings/protocol'
import { z } from 'zod'
import { SERVER_VERSION } from '../version.js'
import { spacesPaths } from './openapi-spaces.js'
import { writesPaths } from './openapi-writes.js'

type JsonSchema = Record<string, unknown>

const schemaOf = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    unrepresentable: 'any',
    io,
  }) as JsonSchema
  return rest
}

const json = (schema: JsonSchema) => ({ 'application/json': { schema } })

/**
 * The OpenAPI 3.1 description of every route, generated from the same zod schemas that
 * validate requests, so the document cannot drift from the code.
 */
export const openapiDocument = (schemas: MessageSchemas): JsonSchema => {
  const error = { $ref: '#/components/schemas/Error' }
  const refusals = (...codes: Array<keyof typeof ERROR_STATUS>) =>
    Object.fromEntries(
      [...new Set(codes.map((c) => ERROR_STATUS[c]))].map((status) => [
        String(status),
        {
          description: `refused: ${codes.filter((c) => ERROR_STATUS[c] === status).join(', ')}`,
          content: json(error),
        },
      ]),
    )
  const ok = (schema: z.ZodType, description: string) => ({
    '200': { description, content: json(schemaOf(schema, 'output')) },
  })
  const authed = { security: [{ bearer: [] }] }
  // Every route may be rate limited (429 with Retry-After; see rate-limit.ts).
  const common = refusals('unauthorized', 'rate_limited', 'internal')
  const query = schemaOf(schemas.pullQuery, 'input') as { properties?: Record<string, JsonSchema> }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tidings sync server',
      version: SERVER_VERSION,
      description: `Wire protocol v${PROTOCOL_VERSION}. Every refusal is {error: {code, message, details?}}; a wrong content type answers 415 with code bad_request.`,
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: schemaOf(schemas.error, 'output') },
    },
    paths: {
      [ROUTES.sync]: {
        post: {
          ...authed,
          summary: 'Push new bundles and pull the other clients’ bundles after a cursor',
          requestBody: { required: true, content: json(schemaOf(schemas.syncRequest, 'input')) },
          responses: {
            ...ok(schemas.syncResponse, 'accepted bundle ids and a page of bundles'),
            ...refusals(
              'bad_request',
              'forbidden',
              'conflict',
              'too_large',
              'clock_drift',
              'schema_too_old',
            ),
            ...common,
          },
        },
      },
      [ROUTES.bundles]: {
        get: {
          ...authed,
          summary: 'All of the user’s bundles after a cursor, paged',
          parameters: Object.entries(query.properties ?? {}).map(([name, schema]) => ({
            name,
            in: 'query',
            required: false,
            schema: name === 'limit' ? { type: 'integer', minimum: 1 } : schema,
          })),
          responses: {
            ...ok(schemas.pullResponse, 'a page of bundles'),
            ...refusals('bad_request'),
            ...common,
          },
        },
      },
      [ROUTES.bundleIds]: {
        get: {
          ...authed,
          summary: 'Every bundle id of one space the user is in (default: its private space)',
          parameters: Object.entries(
            (schemaOf(spaceSchemas.spaceIdsQuery, 'input') as { properties?: object }).properties ??
              {},
          ).map(([name, schema]) => ({ name, in: 'query', required: false, schema })),
          responses: {
            ...ok(schemas.bundleIdsResponse, 'ids'),
            ...refusals('bad_request', 'forbidden'),
            ...common,
          },
        },
      },
      [ROUTES.getBundles]: {
        post: {
          ...authed,
          summary: 'The user’s bundles with the given ids (others are absent)',
          requestBody: {
            required: true,
            content: json(schemaOf(schemas.getBundlesRequest, 'input')),
          },
          responses: {
            ...ok(schemas.getBundlesResponse, 'bundles'),
            ...refusals('bad_request', 'too_large'),
            ...common,
          },
        },
      },
      // Issue 7 (src/live/): the stream of pokes.
      [ROUTES.live]: {
        get: {
          ...authed,
          summary: 'Pokes: a server-sent event {cursor} whenever the user’s stream advances',
          responses: {
            '200': {
              description:
                'text/event-stream: `data: {"cursor":"…"}` messages (a hint to sync), `:` heartbeat comments',
              content: {
                'text/event-stream': {
                  schema: { type: 'string' },
                  'x-event-data': schemaOf(schemas.poke, 'output'),
                },
              },
            },
            ...refusals('unavailable'),
            ...common,
          },
        },
      },
      [ROUTES.health]: {
        get: { summary: 'Liveness, no auth', responses: ok(schemas.health, 'healthy') },
      },
      [ROUTES.openapi]: {
        get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } },
      },
      // DESIGN §8: spaces, members and invites.
      ...spacesPaths({ schemaOf, json, refusals, common }),
      // Issue 17: the server-side writer over HTTP.
      ...writesPaths({ schemaOf, json, refusals, common }),
    },
  }
}
