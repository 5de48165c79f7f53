import { ROUTES, SCHEMA_REASONS, writesSchemas } from '@tidings/protocol'
import { type OpenapiParts, openapiPath } from './openapi-spaces.js'

type JsonSchema = Record<string, unknown>

/** `POST /v1/spaces/:space/writes`, the server-side writer over HTTP, from its schemas. */
export const writesPaths = (parts: OpenapiParts): Record<string, JsonSchema> => {
  const { schemaOf, json, refusals, common } = parts
  const schemas = writesSchemas()
  return {
    [openapiPath(ROUTES.writes)]: {
      post: {
        security: [{ bearer: [] }],
        summary:
          'Create, update or delete entities in a space as the caller (a service user with a writer or owner role): one bundle, all or nothing, delivered to members like a device’s',
        description: `Checked against the app’s schema when the server has one: a refusal is bad_request with details {reason, field}, reason one of ${SCHEMA_REASONS.join(', ')}. A reader or non-member gets forbidden.`,
        parameters: [
          {
            name: 'space',
            in: 'path',
            required: true,
            description: 'a shared space’s id (a private space’s id is its user’s id)',
            schema: { type: 'string', format: 'uuid' },
          },
        ],
        requestBody: { required: true, content: json(schemaOf(schemas.writesRequest, 'input')) },
        responses: {
          '200': {
            description: 'the bundle written, with each write’s entity id and HLC',
            content: json(schemaOf(schemas.writesResponse, 'output')),
          },
          ...refusals('bad_request', 'forbidden', 'conflict', 'too_large'),
          ...common,
        },
      },
    },
  }
}
