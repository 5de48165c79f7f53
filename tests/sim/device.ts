import { type Client, defineSchema, openClient, t } from '@tidings/client'
import Database from 'better-sqlite3'
import type { LocalClient } from '../../packages/client/src/api/client.js'
import type { Prng } from '../support/prng.js'

/** What the simulated devices store: one small type, so writes collide often. */
export const simSchema = defineSchema({
  note: { title: t.string(), rank: t.number().optional() },
})
export type SimClient = Client<typeof simSchema.types>

/** A user of the simulated server, with the devices it owns. */
export interface SimUser {
  name: string
  token: string
  /** The server's id for the user, also its private space's id. */
  id: string
  /** Entity ids any of its devices created (candidates for updates and deletes). */
  entities: string[]
}

/** What a device needs from the world around it. */
export interface DeviceWorld {
  /** The simulated true time, ms. */
  time(): number
  fetchFor(name: string): typeof globalThis.fetch
  trace(line: string): void
}

/**
 * One device: the real client (`openClient`, its Store and SyncEngine) on an in-memory SQLite
 * database, its `fetch` the simulated network, its clocks the simulated ones: the wall clock
 * is true time plus `skewMs` (which clock jumps move), the monotonic one is true time.
 * Rolling back reopens the client on an older image of its database; a crash reopens it on
 * the current one (what survives a process death: every commit).
 */
export class SimDevice {
  private db: Database.Database | null = null
  private client: SimClient | null = null
  skewMs = 0

  constructor(
    readonly name: string,
    readonly user: SimUser,
    private readonly world: DeviceWorld,
  ) {}

  async open(image?: Buffer): Promise<void> {
    const db = new Database(image ?? (await freshDevice()))
    db.pragma('foreign_keys = ON')
    this.db = db
    this.client = await openClient({
      schema: simSchema,
      database: db,
      now: () => this.world.time() + this.skewMs,
      monotonic: () => this.world.time(),
      server: {
        url: 'http://sim.server',
        token: this.user.token,
        fetch: this.world.fetchFor(this.name),
        attempts: 1,
        live: false,
      },
      onError: (error) => this.world.trace(`${this.name} background error ${String(error)}`),
    })
  }

  get api(): SimClient {
    if (!this.client) throw new Error(`sim: ${this.name} is closed`)
    return this.client
  }

  /** The client's internals, for the checks (bundle ids, registers, outbox). */
  get store(): LocalClient['store'] {
    return (this.api as unknown as LocalClient).store
  }

  get clientId(): string {
    return this.api.clientId
  }

  /** Rows of the device's database read directly, for the checks (never the product's code). */
  rows<T>(sql: string): T[] {
    if (!this.db) throw new Error(`sim: ${this.name} is closed`)
    return this.db.prepare(sql).all() as T[]
  }

  /** The database as a backup (or the OS's page cache at a power cut) would keep it now. */
  image(): Buffer {
    if (!this.db) throw new Error(`sim: ${this.name} is closed`)
    return this.db.serialize()
  }

  /** The device's database goes back to `image`; the app starts again on it. */
  async reopen(image: Buffer): Promise<void> {
    await this.close()
    await this.open(image)
  }

  async close(): Promise<void> {
    const client = this.client
    this.client = null
    this.db = null
    await client?.close()
  }

  /**
   * One local transaction of 1 to 3 writes: create a note, or update or delete one its user
   * created (when this device has it). Returns what it did, for the trace. `into` writes a
   * shared space instead: creates go there (`{ space }`), updates and deletes pick among the
   * entities any member created in it (`into.entities`, which new ones join).
   */
  async write(prng: Prng, into?: { space: string; entities: string[] }): Promise<string> {
    const api = this.api
    const user = into ?? this.user
    const options = into ? { space: into.space } : undefined
    const count = prng.int(1, 3)
    const plan = Array.from({ length: count }, () => ({
      op: prng.weighted({ create: 3, update: 6, delete: 1 }),
      pick: prng.next(),
      title: `t${prng.int(0, 99)}`,
      rank: prng.chance(0.3) ? null : prng.int(0, 9),
    }))
    const done: string[] = []
    await api.transaction(async (tx) => {
      for (const step of plan) {
        const id = user.entities[Math.floor(step.pick * user.entities.length)]
        const exists = id !== undefined && (await tx.get('note', id)) !== null
        if (step.op === 'create' || !exists) {
          const note = await tx.create(
            'note',
            { title: step.title, ...(step.rank !== null && { rank: step.rank }) },
            options,
          )
          user.entities.push(note.id)
          done.push(`create ${short(note.id)}`)
        } else if (step.op === 'update') {
          await tx.update('note', id, { title: step.title })
          done.push(`update ${short(id)}`)
        } else {
          await tx.delete('note', id)
          done.push(`delete ${short(id)}`)
        }
      }
    })
    return done.join(', ')
  }
}

/** The distinctive tail of a sim id (its counter), for traces. */
export const short = (id: string): string => id.slice(-6).replace(/^0+/, '') || '0'

let fresh: Promise<Buffer> | null = null

/**
 * The image of a fresh device database (migrated, typed tables made, no client id yet), made
 * once per process: a device opened on it mints its own client id, as on a new install.
 */
export const freshDevice = (): Promise<Buffer> => {
  fresh ??= (async () => {
    const db = new Database(':memory:')
    const client = await openClient({ schema: simSchema, database: db, now: () => 0 })
    db.prepare('DELETE FROM sync_state').run()
    const image = db.serialize()
    await client.close()
    return image
  })()
  return fresh
}
