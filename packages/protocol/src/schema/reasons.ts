import { TidingsError } from '../errors.js'

/**
 * Why a write does not fit the app's schema: `details.reason` of a 400 `bad_request`, beside
 * `details.field` (`type` or `type.attribute`). The wire code stays `bad_request`, as for
 * `unauthorized`'s reasons (auth-reasons.ts), so every caller's reading of a 400 stays as it is;
 * a program that writes for others (a backend's writer, the writes route) branches on the
 * reason. Raised alike by the client's own writes and by the server's writer.
 */
export const SCHEMA_REASONS = [
  /** The schema declares no such entity type. */
  'unknown_type',
  /** The type declares no such attribute (or the write names a reserved one). */
  'unknown_attribute',
  /** A value of the wrong kind: a number for a string, an invalid date, null for a required one. */
  'wrong_value',
  /** `create` lacks a required attribute that has no default. */
  'missing_attribute',
  /** An entity id that is not 1-128 printable ASCII characters, or an update that changes it. */
  'bad_id',
  /** The fields are not an object. */
  'bad_fields',
] as const

export type SchemaReason = (typeof SCHEMA_REASONS)[number]

/** The details of a schema refusal. */
export interface SchemaRefusal {
  reason: SchemaReason
  /** `type` or `type.attribute`. */
  field: string
}

/** A `bad_request` naming the field and the reason. */
export const schemaError = (reason: SchemaReason, field: string, message: string): TidingsError =>
  new TidingsError('bad_request', message, { details: { reason, field } satisfies SchemaRefusal })

/** The reason of a schema refusal, or undefined for any other error. */
export const schemaReason = (error: unknown): SchemaReason | undefined => {
  if (!(error instanceof TidingsError) || error.code !== 'bad_request') return undefined
  const reason = (error.details as Partial<SchemaRefusal> | undefined)?.reason
  return SCHEMA_REASONS.includes(reason as SchemaReason) ? (reason as SchemaReason) : undefined
}
