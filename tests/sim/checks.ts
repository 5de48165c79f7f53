import { short } from './device.js'
import { differences, fold, type ReplicaRegister } from './model.js'
import type { StoredBundle } from './server.js'
import type { World } from './world.js'

/**
 * What a schedule's end can get wrong:
 * - `converged`: a device's registers differ from the reference model's fold of the server's
 *   events, or two devices of a user dump different typed rows;
 * - `lost`: a bundle acknowledged to a device is not on the server, though some copy of it
 *   survived every restore and rollback;
 * - `skipped`: the server holds a bundle a device of the user lacks after syncing to quiescence;
 * - `unpushed`: a device holds a bundle (or an outbox entry) the server does not;
 * - `isolation`: a device holds a bundle of a space its user may not read (the membership
 *   model, `spaces.ts`, adds its own: bundles landed or sent against the roles, rows held);
 * - `membership`: the server or a device disagrees with the membership model (`spaces.ts`);
 * - `order`: two different events carry one HLC (invariant 2);
 * - `refused`: a bundle was refused for good (nothing in a schedule warrants it);
 * - `anomaly`: a sync failed other than by the network's faults (say, a 500);
 * - `quiescence`, `crash`: the schedule could not finish.
 */
export type Check =
  | 'converged'
  | 'lost'
  | 'skipped'
  | 'unpushed'
  | 'isolation'
  | 'membership'
  | 'order'
  | 'refused'
  | 'anomaly'
  | 'quiescence'
  | 'crash'

export interface Failure {
  check: Check
  device?: string
  detail: string
  /** `skipped`: every bundle the device lacks is its own (written by its client id). */
  own?: boolean
}

/** Failures listed beyond this many per check are summarised, so a report stays readable. */
const SHOWN = 5

const summarise = (check: Check, device: string | undefined, items: string[]): Failure[] =>
  items.length === 0
    ? []
    : [
        {
          check,
          ...(device !== undefined && { device }),
          detail:
            items.slice(0, SHOWN).join('; ') +
            (items.length > SHOWN ? ` (and ${items.length - SHOWN} more)` : ''),
        },
      ]

/** Every check, after quiescence. */
export const checkWorld = async (world: World): Promise<Failure[]> => {
  const failures: Failure[] = []
  const stored = world.server.bundles()
  const byId = new Map<string, StoredBundle>(stored.map((b) => [b.id, b]))
  for (const user of world.users) {
    const readable = world.membership.readable(user)
    const visible = stored.filter((b) => readable.has(b.stream))
    const { state, ties } = fold(visible)
    failures.push(
      ...summarise(
        'order',
        undefined,
        ties.map((t) => `${t.register}: ${t.events.map(short).join(' and ')} both at ${t.hlc}`),
      ),
    )
    let first: { name: string; tables: string } | null = null
    for (const device of world.devices.filter((d) => d.user === user)) {
      const store = device.store
      const held = new Set(store.bundleIds())
      const rejected = await device.api.rejected()
      const refused = new Set(rejected.map((r) => r.id))
      // A write refused as `forbidden` is no failure when the membership model says its author
      // could not write its space (a reader's write, a member removed before it was pushed).
      const excused = (r: (typeof rejected)[number]) =>
        r.code === 'forbidden' && world.membership.excuses?.(r.id, user, r.events) === true
      failures.push(
        ...summarise(
          'refused',
          device.name,
          rejected.filter((r) => !excused(r)).map((r) => `${short(r.id)}: ${r.code}`),
        ),
      )
      const lacks = visible.filter((b) => !held.has(b.id))
      const own = lacks.every((b) => b.client === device.clientId)
      for (const failure of summarise(
        'skipped',
        device.name,
        lacks.map((b) => `lacks ${short(b.id)}${b.client === device.clientId ? ' (its own)' : ''}`),
      ))
        failures.push({ ...failure, own })
      const notOnServer = [...held].filter((id) => !byId.has(id) && !refused.has(id))
      // Whose each one is: a device can push back only its own user's bundles.
      const authors = new Map(
        notOnServer.length === 0
          ? []
          : device
              .rows<{ id: string; client: string }>('SELECT id, client FROM bundles')
              .map((r) => [r.id, r.client]),
      )
      const clientsOfUser = new Set(
        world.devices.filter((d) => d.user === user).map((d) => d.clientId),
      )
      failures.push(
        ...summarise(
          'unpushed',
          device.name,
          notOnServer.map(
            (id) =>
              `holds ${short(id)}${clientsOfUser.has(authors.get(id) ?? '') ? '' : " (another user's)"}`,
          ),
        ),
      )
      if (store.pending() > 0)
        failures.push({
          check: 'unpushed',
          device: device.name,
          detail: `${store.pending()} in outbox`,
        })
      const foreign = [...held].filter((id) => {
        const bundle = byId.get(id)
        return bundle !== undefined && !readable.has(bundle.stream)
      })
      failures.push(
        ...summarise(
          'isolation',
          device.name,
          foreign.map((id) => `holds ${short(id)}`),
        ),
      )
      const dump = store.dump()
      const registers = dump.attributes as unknown as ReplicaRegister[]
      failures.push(...summarise('converged', device.name, differences(state, registers, ties)))
      const tables = JSON.stringify(dump.tables)
      if (first === null) first = { name: device.name, tables }
      else if (first.tables !== tables)
        failures.push({
          check: 'converged',
          device: device.name,
          detail: `typed rows differ from ${first.name}'s`,
        })
    }
  }
  // An acknowledged bundle gone because its author lost the right to write its space (a
  // restore took the membership back, say) is the membership's doing, not a loss.
  const excused = (id: string): boolean => {
    const from = world.acked.get(id)
    const user = world.devices.find((d) => d.name === from)?.user
    return user !== undefined && world.membership.excuses?.(id, user, []) === true
  }
  const lost = [...world.acked.keys()].filter(
    (id) => !world.destroyed.has(id) && !byId.has(id) && !excused(id),
  )
  failures.push(
    ...summarise(
      'lost',
      undefined,
      lost.map((id) => `acked ${short(id)} gone`),
    ),
  )
  failures.push(...summarise('anomaly', undefined, world.anomalies))
  if (world.membership.check) failures.push(...(await world.membership.check(world)))
  return failures
}
