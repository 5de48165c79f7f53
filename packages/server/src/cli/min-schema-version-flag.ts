export const MIN_SCHEMA_VERSION_USAGE = `--min-schema-version N (or TIDINGS_MIN_SCHEMA_VERSION): refuse syncs from apps whose schema
     version (defineSchema(..., { version })) is below N, or that declare none, with 426
     schema_too_old (the app then asks its user to update). Default: every app syncs.`

/**
 * `serve`'s `--min-schema-version` (else `TIDINGS_MIN_SCHEMA_VERSION`): undefined serves every
 * client. Anything but a positive whole number is the CLI's usage error (`usage`).
 */
export const minSchemaVersionFromFlag = (
  flag: string | boolean | undefined,
  env: Record<string, string | undefined>,
  usage: (message: string) => Error,
): number | undefined => {
  const text = typeof flag === 'string' ? flag : env.TIDINGS_MIN_SCHEMA_VERSION
  if (text === undefined) return undefined
  if (!/^[1-9]\d{0,14}$/.test(text))
    throw usage(`--min-schema-version must be a positive whole number, got ${JSON.stringify(text)}`)
  return Number(text)
}
