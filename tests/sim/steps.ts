import { isTidingsError } from '@tidings/protocol'
import type { SimDevice } from './device.js'
import type { World } from './world.js'

/** Device clock jumps: an NTP correction, a user setting the date, a VM resumed. */
const JUMPS_MS = [2_000, 60_000, 10 * 60_000, 3 * 3_600_000]
/** Device clocks stay within this of true time (a clock days off is another test's). */
const MAX_SKEW_MS = 6 * 3_600_000
/** The server's clock is kept closer: its jumps are small NTP steps. */
const SERVER_JUMPS_MS = [1_000, 30_000, 4 * 60_000]
const MAX_SERVER_SKEW_MS = 10 * 60_000
/** Backups kept per database; older ones are dropped. */
const KEEP_BACKUPS = 4

/** Sync failures the faults explain. */
const EXPECTED_ERRORS = new Set(['unavailable', 'clock_drift'])

/** One kind of step a schedule is made of, with how often it is drawn. */
export interface Step {
  name: string
  weight(world: World): number
  run(world: World): Promise<void>
}

const pickDevice = (world: World): SimDevice => world.prng.pick(world.devices)

const keep = <T>(list: T[], image: T): void => {
  list.push(image)
  if (list.length > KEEP_BACKUPS) list.shift()
}

/** Runs one sync on `device`, tracing what it did or why it failed. */
export const syncOnce = async (world: World, device: SimDevice): Promise<number> => {
  try {
    const r = await device.api.sync()
    const recovered = r.recovered
      ? ` recovered ${r.recovered.reason} (missing here ${r.recovered.missingLocally}, on server ${r.recovered.missingOnServer})`
      : ''
    world.trace(
      `${device.name} sync: pushed ${r.pushed} pulled ${r.pulled}${r.rejected ? ` rejected ${r.rejected}` : ''}${recovered}`,
    )
    return r.pushed + r.pulled + (r.rejected ?? 0) + (r.recovered ? 1 : 0)
  } catch (error) {
    const code = isTidingsError(error) ? error.code : 'thrown'
    world.trace(`${device.name} sync failed: ${code}`)
    world.lastErrors.set(device.name, code)
    // The network's faults surface as `unavailable`, and a server clock set back past the
    // drift limit refuses bundles stamped before until it catches up (`clock_drift`, by
    // design); anything else is the product's doing.
    if (!EXPECTED_ERRORS.has(code)) world.anomalies.push(`${device.name} sync: ${String(error)}`)
    return -1
  }
}

export const STEPS: readonly Step[] = [
  {
    name: 'write',
    weight: () => 28,
    run: async (world) => {
      const device = pickDevice(world)
      world.trace(`${device.name} writes: ${await device.write(world.prng)}`)
    },
  },
  {
    name: 'sync',
    weight: () => 30,
    run: async (world) => {
      await syncOnce(world, pickDevice(world))
    },
  },
  {
    name: 'late delivery',
    weight: (world) => (world.network.held.length > 0 ? 8 : 0),
    run: (world) => world.network.deliverHeld(),
  },
  {
    name: 'server crash',
    weight: (world) => (world.server.up ? 2 : 0),
    run: async (world) => {
      world.trace('server crashes')
      await world.server.crash()
    },
  },
  {
    name: 'server restart',
    weight: (world) => (world.server.up ? 0 : 12),
    run: async (world) => {
      world.trace('server restarts')
      await world.server.start()
    },
  },
  {
    name: 'server backup',
    weight: () => 3,
    run: async (world) => {
      keep(world.serverBackups, {
        image: world.server.backup(),
        membership: world.membership.snapshot?.(),
      })
      world.trace(`server backup #${world.serverBackups.length}`)
    },
  },
  {
    name: 'server restore',
    weight: (world) => (world.serverBackups.length > 0 ? 1.5 : 0),
    run: async (world) => {
      const i = world.prng.int(0, world.serverBackups.length - 1)
      world.trace(`server restored from backup #${i + 1}`)
      const backup = world.serverBackups[i] as World['serverBackups'][number]
      await world.server.restore(backup.image)
      world.membership.restore?.(backup.membership)
      world.noteErased()
    },
  },
  {
    name: 'device backup',
    weight: () => 4,
    run: async (world) => {
      const device = pickDevice(world)
      const list = world.deviceBackups.get(device.name) as Buffer[]
      keep(list, device.image())
      world.trace(`${device.name} backup #${list.length}`)
    },
  },
  {
    name: 'device rollback',
    weight: () => 2,
    run: async (world) => {
      const device = pickDevice(world)
      const list = world.deviceBackups.get(device.name) as Buffer[]
      if (list.length === 0) return
      const i = world.prng.int(0, list.length - 1)
      world.trace(`${device.name} rolls back to backup #${i + 1}`)
      await device.reopen(list[i] as Buffer)
      world.noteErased()
    },
  },
  {
    name: 'device crash',
    weight: () => 2,
    run: async (world) => {
      const device = pickDevice(world)
      world.trace(`${device.name} crashes and restarts`)
      await device.reopen(device.image())
    },
  },
  {
    name: 'device clock jump',
    weight: () => 2,
    run: async (world) => {
      const device = pickDevice(world)
      const jump = world.prng.pick(JUMPS_MS) * (world.prng.chance(0.5) ? 1 : -1)
      device.skewMs = Math.max(-MAX_SKEW_MS, Math.min(MAX_SKEW_MS, device.skewMs + jump))
      world.trace(`${device.name} clock jumps ${jump} ms (skew ${device.skewMs})`)
    },
  },
  {
    name: 'server clock jump',
    weight: () => 0.5,
    run: async (world) => {
      const jump = world.prng.pick(SERVER_JUMPS_MS) * (world.prng.chance(0.5) ? 1 : -1)
      const skew = world.serverSkewMs + jump
      world.serverSkewMs = Math.max(-MAX_SERVER_SKEW_MS, Math.min(MAX_SERVER_SKEW_MS, skew))
      world.trace(`server clock jumps ${jump} ms (skew ${world.serverSkewMs})`)
    },
  },
  {
    name: 'idle',
    weight: () => 1,
    run: async (world) => {
      const ms = world.prng.int(1, 4) * 3_600_000
      world.time += ms
      world.trace(`nothing happens for ${ms / 3_600_000} h`)
    },
  },
]
