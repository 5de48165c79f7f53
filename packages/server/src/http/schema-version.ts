import { TidingsError } from '@tidings/protocol'

/**
 * Refuses a sync from an app whose schema is older than `minimum` (`--min-schema-version`), or
 * that declares none (a release before schema versions: older than any), with 426
 * `schema_too_old`: it would write values in a shape the current app version no longer
 * declares. The client shows the code in its status; the user updates the app. Nothing of the
 * request is stored. Without a minimum every client is served.
 */
export const assertSchemaVersion = (schema: number | undefined, minimum: number | undefined) => {
  if (minimum === undefined || (schema !== undefined && schema >= minimum)) return
  throw new TidingsError(
    'schema_too_old',
    schema === undefined
      ? `this server needs app schema version ${minimum} or newer and the app declares none: update the app`
      : `this server needs app schema version ${minimum} or newer, the app has ${schema}: update the app`,
    { details: { minimum, schema: schema ?? null } },
  )
}
