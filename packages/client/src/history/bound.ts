import { isHlc, MAX_MS, TidingsError } from '@tidings/protocol'

/**
 * The upper bound of an `asOf` view as text, compared with the log's HLCs (bytewise, like
 * every HLC comparison): an HLC is its own bound (events at or before it count); a `Date` or
 * epoch milliseconds count every event stamped in or before that millisecond, so the bound is
 * that millisecond's text with the greatest counter and a node id above every allowed one
 * (`~` sorts after `[0-9A-Za-z_-]`).
 */
export const boundOf = (at: string | Date | number): string => {
  if (typeof at === 'string') {
    if (!isHlc(at))
      throw new TidingsError(
        'bad_request',
        `asOf: ${JSON.stringify(at.slice(0, 80))} is not an HLC`,
      )
    return at
  }
  const ms = at instanceof Date ? at.getTime() : at
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_MS)
    throw new TidingsError(
      'bad_request',
      'asOf: the time must be a valid Date (or epoch ms) after 1970',
    )
  return `${new Date(ms).toISOString()}-FFFF-~`
}
