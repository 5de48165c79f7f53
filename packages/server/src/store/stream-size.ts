import type { Kysely } from 'kysely'
import type { Database } from './schema.js'
import type { StreamSize } from './store.js'

/** Bundles and events of one stream: one index range scan, summing the stored event counts. */
export const countStream = async (db: Kysely<Database>, stream: string): Promise<StreamSize> => {
  const row = await db
    .selectFrom('bundles')
    .select((eb) => [
      eb.fn.countAll().as('bundles'),
      eb.fn.coalesce(eb.fn.sum('event_count'), eb.lit(0)).as('events'),
    ])
    .where('stream', '=', stream)
    .executeTakeFirstOrThrow()
  return { bundles: Number(row.bundles), events: Number(row.events) }
}
