import { Prng } from '../support/prng.js'
import { freshDevice, SimDevice, type SimUser, short } from './device.js'
import { resetIds } from './ids.js'
import { type Membership, privateSpacesOnly } from './membership.js'
import { SimNetwork } from './network.js'
import { freshDatabase, type SimRequest, SimServer } from './server.js'

/** Where every schedule's simulated time starts. */
const EPOCH = Date.parse('2026-12-01T00:00:00.000Z')

/** The shape of a schedule's world, drawn from its seed unless given. */
export interface WorldShape {
  /** Devices per user, one entry per user. */
  devices: number[]
}

/**
 * Everything one schedule runs on: the simulated clock, the server, the users and their
 * devices, the network between them, and the ledger the checks read. One PRNG (the
 * schedule's seed) decides everything; nothing here reads the real time.
 */
export class World {
  readonly prng: Prng
  time = EPOCH
  readonly lines: string[] = []
  readonly server: SimServer
  readonly network: SimNetwork
  readonly users: SimUser[] = []
  readonly devices: SimDevice[] = []
  readonly membership: Membership
  /** The server's clock runs this far from true time (a bad NTP setting, a VM resumed). */
  serverSkewMs = 0
  /** Bundles some request carried to the server. */
  readonly sent = new Set<string>()
  /** Bundles the server acknowledged to a device (in an answer that reached it). */
  readonly acked = new Map<string, string>()
  /** Acknowledged bundles that a restore or rollback erased from every copy (not a bug). */
  readonly destroyed = new Set<string>()
  /** Server backups, each with the membership model's state at the time (restored with it). */
  readonly serverBackups: Array<{ image: Buffer; membership: unknown }> = []
  readonly deviceBackups = new Map<string, Buffer[]>()
  /** What went wrong outside the checks (an unexpected throw), for the report. */
  readonly anomalies: string[] = []
  /** Each device's last sync failure's code (for a quiescence that never comes). */
  readonly lastErrors = new Map<string, string>()

  private constructor(
    readonly seed: number,
    membership?: Membership,
  ) {
    this.prng = new Prng(seed)
    this.membership = membership ?? privateSpacesOnly
    this.membership.attach?.(this)
    this.server = new SimServer(() => this.time + this.serverSkewMs)
    this.network = new SimNetwork(this.prng.fork(), this.server, {
      trace: (line) => this.trace(line),
      delivered: (_from, request) => this.noteSent(request),
      acted: (from, request, answer) => this.membership.acted?.(from, request, answer),
      answered: (from, request, answer) => {
        if (request.url.startsWith('/v1/sync') && answer.status === 200) {
          const accepted = (JSON.parse(answer.body) as { accepted?: string[] }).accepted ?? []
          for (const id of accepted) this.acked.set(id, from)
        }
      },
      writeDuring: async (from) => {
        const device = this.device(from)
        this.trace(`${from} writes mid-request: ${await device.write(this.prng)}`)
      },
      crashServer: () => this.server.crash(),
    })
  }

  static async create(seed: number, shape?: WorldShape, membership?: Membership): Promise<World> {
    // Made before the ids start over: their own ids must not shift this schedule's.
    await Promise.all([freshDatabase(), freshDevice()])
    const world = new World(seed, membership)
    resetIds(() => world.time)
    const devices = shape?.devices ??
      world.membership.devices?.(world.prng) ?? [world.prng.int(1, 3), world.prng.int(1, 2)]
    await world.server.start()
    for (const [u, count] of devices.entries()) {
      const name = String.fromCharCode(97 + u)
      const token = `sim-token-${name}-${'x'.repeat(32)}`
      const user: SimUser = {
        name,
        token,
        id: await world.server.addUser(name, token),
        entities: [],
      }
      world.users.push(user)
      for (let d = 1; d <= count; d++) {
        const device = new SimDevice(`${name}${d}`, user, {
          time: () => world.time,
          fetchFor: (n) => world.network.fetchFor(n),
          trace: (line) => world.trace(line),
        })
        await device.open()
        world.devices.push(device)
        world.deviceBackups.set(device.name, [])
      }
    }
    world.trace(`world: ${world.devices.map((d) => d.name).join(' ')}`)
    return world
  }

  trace(line: string): void {
    this.lines.push(`${String(this.time - EPOCH).padStart(9)} ${line}`)
  }

  device(name: string): SimDevice {
    const device = this.devices.find((d) => d.name === name)
    if (!device) throw new Error(`sim: no device ${name}`)
    return device
  }

  /**
   * After a restore or a rollback: an acknowledged bundle no longer held by the server, any
   * device or the network was erased from every copy. Losing it is the fault's doing, not the
   * product's; every other acknowledged bundle must survive (checked at the end).
   *
   * A copy counts only on a device of the bundle's user (the one whose device the server
   * acknowledged it to): the server takes a bundle from its user's clients alone, so another
   * member's device that pulled it from a shared space may not push it back, and drops it when
   * it finds the server lacks it (DESIGN §8, "A restore and other members' bundles"). Such a
   * bundle is named `held only by other users` in the trace.
   */
  noteErased(): void {
    const onServer = new Set(this.server.bundles().map((b) => b.id))
    const inFlight = new Set<string>()
    for (const held of this.network.held) for (const id of bundlesIn(held.request)) inFlight.add(id)
    for (const [id, from] of this.acked) {
      if (this.destroyed.has(id) || onServer.has(id) || inFlight.has(id)) continue
      const holders = this.devices.filter((d) => d.store.hasBundle(id))
      const user = this.devices.find((d) => d.name === from)?.user
      if (holders.some((d) => d.user === user)) continue
      this.destroyed.add(id)
      this.trace(
        holders.length === 0
          ? `bundle ${short(id)} erased from every copy`
          : `bundle ${short(id)} erased: held only by other users (${holders.map((d) => d.name).join(' ')}), who may not push it`,
      )
    }
  }

  private noteSent(request: SimRequest): void {
    for (const id of bundlesIn(request)) this.sent.add(id)
  }

  async close(): Promise<void> {
    for (const device of this.devices) await device.close()
    await this.server.close()
  }
}

/** The ids of the bundles a sync request pushes. */
export const bundlesIn = (request: SimRequest): string[] => {
  if (!request.url.startsWith('/v1/sync') || !request.body) return []
  const body = JSON.parse(request.body) as { bundles?: Array<{ id: string }> }
  return (body.bundles ?? []).map((b) => b.id)
}
