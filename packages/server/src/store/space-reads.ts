import type { Event, Part, PartedBundle } from '@tidings/protocol'
import type { Kysely } from 'kysely'
import { chunks, ID_CHUNK } from './chunks.js'
import type { Database } from './schema.js'

/**
 * Reads by id across the spaces a user may read now: its private stream (the user's id) and
 * the shared spaces it is a member of (role not null). A bundle of any other space is absent,
 * exactly like an id that does not exist: no existence leak (invariant 6).
 */

/** Whether the user may read the space now (its own private space always). */
export const mayRead = async (
  db: Kysely<Database>,
  user: string,
  space: string,
): Promise<boolean> => {
  if (space === user) return true
  const row = await db
    .selectFrom('members')
    .select('role')
    .where('space', '=', space)
    .where('user_id', '=', user)
    .where('role', 'is not', null)
    .executeTakeFirst()
  return row !== undefined
}

/** The bundles among `ids` of the user's spaces: private ones untagged, shared ones tagged. */
export const readableBundles = async (
  db: Kysely<Database>,
  user: string,
  ids: readonly string[],
): Promise<PartedBundle[]> => {
  const rows: Array<{
    stream: string
    seq: number | string
    id: string
    client: string
    hlc: string
    events: string
    part: string | null
  }> = []
  for (const part of chunks([...new Set(ids)], ID_CHUNK)) {
    const found = await db
      .selectFrom('bundles')
      .select(['stream', 'seq', 'id', 'client', 'hlc', 'events', 'part'])
      .where('id', 'in', part)
      // Compacted to nothing (compaction/): nothing of it to send.
      .where('event_count', '>', 0)
      .where((eb) =>
        eb.or([
          eb('stream', '=', user),
          eb(
            'stream',
            'in',
            eb
              .selectFrom('members')
              .select('space')
              .where('user_id', '=', user)
              .where('role', 'is not', null),
          ),
        ]),
      )
      .execute()
    rows.push(...found)
  }
  // The private stream first, then each space, each in position order.
  const rank = (stream: string) => (stream === user ? '' : stream)
  rows.sort((a, b) => rank(a.stream).localeCompare(rank(b.stream)) || Number(a.seq) - Number(b.seq))
  return rows.map((row) => {
    const bundle: PartedBundle = {
      id: row.id,
      client: row.client,
      hlc: row.hlc,
      ...(row.stream !== user && { space: row.stream }),
      events: JSON.parse(row.events) as Event[],
    }
    if (row.part !== null) bundle.part = JSON.parse(row.part) as Part
    return bundle
  })
}
