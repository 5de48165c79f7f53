import type { Limits } from '@tidings/protocol'

/** CLI flag (and `TIDINGS_<FLAG>` env var, upper snake case) for every limit. */
export const LIMIT_FLAGS: Record<string, keyof Limits> = {
  'max-body-bytes': 'maxBodyBytes',
  'max-bundles-per-request': 'maxBundlesPerRequest',
  'max-events-per-bundle': 'maxEventsPerBundle',
  'max-value-bytes': 'maxValueBytes',
  'max-ids-per-request': 'maxIdsPerRequest',
  'max-page-bundles': 'maxPageBundles',
  'max-drift-ms': 'maxDriftMs',
}

/** The limits given as flags or env vars; unset ones keep their defaults. */
export const limitsFromFlags = (
  values: Record<string, string | boolean | undefined>,
  parse: (flag: string, value: string) => number,
  env: Record<string, string | undefined> = process.env,
): Partial<Limits> => {
  const limits: Partial<Limits> = {}
  for (const [flag, key] of Object.entries(LIMIT_FLAGS)) {
    const flagValue = values[flag]
    const value =
      typeof flagValue === 'string'
        ? flagValue
        : env[`TIDINGS_${flag.toUpperCase().replaceAll('-', '_')}`]
    if (value !== undefined) limits[key] = parse(flag, value)
  }
  return limits
}
