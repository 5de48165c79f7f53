import { type Event, type PartedBundle, TidingsError } from '@tidings/protocol'
import type { Kysely } from 'kysely'
import { chunks, ID_CHUNK } from '../chunks.js'
import { eventHash } from '../content-hash.js'
import { partText } from '../push-plan.js'
import type { Database } from '../schema.js'
import type { PushInput } from '../store.js'

/**
 * Whether a bundle refused as a `conflict` (its id is stored with another hash) is in fact the
 * bundle the stream holds, as compaction left it: a device pushing again a bundle whose events
 * were partly compacted (a retry, or after the server's database was restored or imported from
 * an export of the compacted log) must be acknowledged, not refused. It is when:
 * - the stream was compacted, and the bundle, by its HLC, lies wholly below the horizon;
 * - the stored row has the same client and part, and every event it still holds is one the
 *   device sends, with identical content;
 * - every event the device sends that the row lacks is unknown to the stream (its id was
 *   forgotten with it) or stored with identical content.
 * Compaction is the only thing that takes events out of a stored bundle, and it takes only
 * superseded ones, so acknowledging the bundle loses none of the device's writes.
 */
export const isCompactedTwin = async (
  db: Kysely<Database>,
  stream: string,
  bundle: PartedBundle,
): Promise<boolean> => {
  const horizon = await db
    .selectFrom('horizons')
    .select('hlc')
    .where('stream', '=', stream)
    .executeTakeFirst()
  if (!horizon || bundle.hlc >= horizon.hlc) return false
  const row = await db
    .selectFrom('bundles')
    .select(['client', 'events', 'part'])
    .where('stream', '=', stream)
    .where('id', '=', bundle.id)
    .executeTakeFirst()
  if (!row || row.client !== bundle.client || row.part !== partText(bundle)) return false
  const sent = new Map(bundle.events.map((e) => [e.id, eventHash(e)]))
  const stored = JSON.parse(row.events) as Event[]
  if (stored.some((e) => sent.get(e.id) !== eventHash(e))) return false
  const held = new Set(stored.map((e) => e.id))
  const dropped = bundle.events.filter((e) => !held.has(e.id))
  for (const ids of chunks(
    dropped.map((e) => e.id),
    ID_CHUNK,
  )) {
    const known = await db
      .selectFrom('events')
      .select(['id', 'hash'])
      .where('stream', '=', stream)
      .where('id', 'in', ids)
      .execute()
    if (known.some((k) => sent.get(k.id) !== k.hash)) return false
  }
  return true
}

/** The bundle id a `conflict` refusal names, when it names one. */
export const conflictingBundle = (error: unknown): string | undefined => {
  if (!(error instanceof TidingsError) || error.code !== 'conflict') return undefined
  const details = error.details as { bundle?: unknown } | undefined
  return typeof details?.bundle === 'string' ? details.bundle : undefined
}

/**
 * Runs a push (or a sync) and, when it is refused as a `conflict` over a bundle the stream
 * holds in compacted form (`isCompactedTwin`), runs it again without that bundle and
 * acknowledges it all the same. A refused push stored nothing, so running it again is safe.
 */
export const acknowledgingTwins = async <T extends { accepted: string[] }>(
  db: Kysely<Database>,
  request: PushInput,
  run: (input: PushInput) => Promise<T>,
): Promise<T> => {
  const twins = new Set<string>()
  for (;;) {
    const input =
      twins.size === 0
        ? request
        : { ...request, bundles: request.bundles.filter((b) => !twins.has(b.id)) }
    try {
      const done = await run(input)
      if (twins.size === 0) return done
      const held = new Set([...done.accepted, ...twins])
      const ids = [...new Set(request.bundles.map((b) => b.id))]
      return { ...done, accepted: ids.filter((id) => held.has(id)) }
    } catch (error) {
      const id = conflictingBundle(error)
      const bundle = id === undefined ? undefined : input.bundles.find((b) => b.id === id)
      if (!bundle || !(await isCompactedTwin(db, bundle.space ?? request.stream, bundle)))
        throw error
      twins.add(bundle.id)
    }
  }
}
