/** Splits a list so no statement exceeds the drivers' bound-parameter limits. */
export const chunks = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** Ids per `IN (...)` list. */
export const ID_CHUNK = 500
/** Ids per Postgres array parameter (one parameter, so only the statement's size bounds it). */
export const ARRAY_CHUNK = 20_000
/** Rows per multi-row insert (4–9 columns each: well under SQLite's 32,766 parameters). */
export const ROW_CHUNK = 2_000
