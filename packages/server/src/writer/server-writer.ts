import {
  type Bundle,
  bundleSchema,
  type CreateInput,
  DEFAULT_LIMITS,
  type Event,
  HybridClock,
  type Limits,
  newId,
  type Patch,
  parseWire,
  type Schema,
  type Shapes,
  TidingsError,
} from '@tidings/protocol'
import { openHub, withPokes } from '../live/index.js'
import { openStore } from '../store/kysely-store.js'
import type { Store } from '../store/store.js'
import { planWrites, type WriteOp } from './ops.js'

/** Where the writer's bundles go, and as whom. */
export type ServerWriterOptions<S extends Shapes = Shapes> = (
  | {
      /**
       * The server's store, as `startServer()` hands it out (`RunningServer.store`): its pushes
       * poke the members' live streams, so their devices sync at once.
       */
      store: Store
    }
  | {
      /**
       * A database URL, as `tidings serve --db` takes it; the writer opens (and closes) its own
       * store. On Postgres its pokes reach every server node through NOTIFY; on SQLite they stay
       * in this process, and devices find the writes at their next sync.
       */
      db: string
    }
) & {
  /**
   * The app's schema (`defineSchema`): writes are checked and typed as the app's own. Without
   * one (a server given none), only the wire's rules hold: identifiers for names, JSON values.
   */
  schema?: Schema<S>
  /**
   * The service user it writes as (a name or id, e.g. made by `tidings user add backend`): a
   * `writer` or `owner` of every space it writes, or the write is refused (`forbidden`).
   */
  user: string
  /** The space written when a call names none; absent: the user's private space. */
  space?: string
  /**
   * Which of the user's writers this is (default `default`): each keeps its own client id
   * across restarts. Processes opening the same one share it safely (HLCs are reserved in the
   * database), so one name per role of the backend is plenty.
   */
  name?: string
  limits?: Partial<Limits>
  /** Wall clock, epoch ms; injectable for tests. */
  now?: () => number
}

export interface WriteOptions {
  /** The space to write (default: the writer's `space`). */
  space?: string
}

/** One write done: the entity and the greatest HLC of the events that wrote it. */
export interface Written {
  op: WriteOp['op']
  type: string
  id: string
  hlc: string
}

/** A `write()` done: one bundle, in one space. */
export interface WriteResult {
  bundle: string
  /** The space written (the user's id for its private space). */
  space: string
  /** The bundle's HLC, the greatest of its events. */
  hlc: string
  writes: Written[]
}

/**
 * A server-side client of a space: creates, updates and deletes entities as a service user,
 * through the same push as devices (validated, authorized by the user's role in the space,
 * stored atomically, poking members' live streams), so members' devices receive its bundles
 * like any other. Typed from the app's schema.
 */
export interface ServerWriter<S extends Shapes = Shapes> {
  /** The service user's id. */
  readonly user: string
  /** This writer's client id (the node of every HLC it issues), the same across restarts. */
  readonly client: string
  create<T extends keyof S & string>(
    type: T,
    fields: CreateInput<S[T]>,
    options?: WriteOptions,
  ): Promise<Written>
  update<T extends keyof S & string>(
    type: T,
    id: string,
    patch: Patch<S[T]>,
    options?: WriteOptions,
  ): Promise<Written>
  delete<T extends keyof S & string>(type: T, id: string, options?: WriteOptions): Promise<Written>
  /** Several writes as one bundle: other devices see all of them or none (invariant 5). */
  write(ops: ReadonlyArray<WriteOp<S>>, options?: WriteOptions): Promise<WriteResult>
  /** Waits for writes in flight; closes the store when the writer opened it (`db`). */
  close(): Promise<void>
}

/**
 * Opens the service user's writer `name`: its client id is created on first use and kept in
 * the database, with the last HLC it reserved, so a restart never issues an HLC again.
 * `not_found` for an unknown user, `unauthorized` for a revoked one.
 */
export const openServerWriter = async <S extends Shapes>(
  options: ServerWriterOptions<S>,
): Promise<ServerWriter<S>> => {
  const now = options.now ?? Date.now
  let owned: (() => Promise<void>) | undefined
  let store: Store
  if ('store' in options) store = options.store
  else {
    const opened = await openStore(options.db)
    const hub = await openHub(options.db).catch(async (error: unknown) => {
      await opened.close()
      throw error
    })
    store = withPokes(opened, hub)
    owned = async () => {
      await hub.close()
      await opened.close()
    }
  }
  try {
    const name = options.name ?? 'default'
    const state = await store.claimWriter({ user: options.user, name, client: newId(), now: now() })
    return new Writer<S>(store, options, state, name, now, owned)
  } catch (error) {
    await owned?.()
    throw error
  }
}

/** Reservations that lose to other processes this often in a row: the database is unwell. */
const MAX_RESERVE_ATTEMPTS = 50

class Writer<S extends Shapes> implements ServerWriter<S> {
  readonly user: string
  readonly client: string
  private readonly clock: HybridClock
  /** The writer's last reserved HLC as the database last said. */
  private reserved: string | null
  private readonly limits: Limits
  /** Writes run one at a time: each reservation starts where the last one ended. */
  private queue: Promise<unknown> = Promise.resolve()
  private closed = false

  constructor(
    private readonly store: Store,
    private readonly options: ServerWriterOptions<S>,
    state: { user: string; client: string; lastHlc: string | null },
    private readonly name: string,
    private readonly now: () => number,
    private readonly owned: (() => Promise<void>) | undefined,
  ) {
    this.user = state.user
    this.client = state.client
    this.reserved = state.lastHlc
    this.clock = new HybridClock({ node: state.client, now, last: state.lastHlc })
    this.limits = { ...DEFAULT_LIMITS, ...options.limits }
  }

  async create<T extends keyof S & string>(
    type: T,
    fields: CreateInput<S[T]>,
    options?: WriteOptions,
  ): Promise<Written> {
    const { id, ...rest } = fields as { id?: string }
    const op = { op: 'create', type, fields: rest, ...(id !== undefined && { id }) }
    return this.one(op as WriteOp<S>, options)
  }

  update<T extends keyof S & string>(
    type: T,
    id: string,
    patch: Patch<S[T]>,
    options?: WriteOptions,
  ): Promise<Written> {
    return this.one({ op: 'update', type, id, fields: patch } as WriteOp<S>, options)
  }

  delete<T extends keyof S & string>(
    type: T,
    id: string,
    options?: WriteOptions,
  ): Promise<Written> {
    return this.one({ op: 'delete', type, id } as WriteOp<S>, options)
  }

  async write(ops: ReadonlyArray<WriteOp<S>>, options: WriteOptions = {}): Promise<WriteResult> {
    if (this.closed) throw new TidingsError('bad_request', 'the writer is closed')
    // Checked before queueing: a refused write reserves nothing.
    const planned = planWrites(this.options.schema as Schema | undefined, ops as readonly WriteOp[])
    if (planned.length === 0) throw new TidingsError('bad_request', 'no writes given')
    const space = options.space ?? this.options.space ?? this.user
    const run = this.queue.then(() => this.commit(planned, space))
    this.queue = run.catch(() => undefined)
    return await run
  }

  async close(): Promise<void> {
    this.closed = true
    await this.queue
    await this.owned?.()
  }

  private async one(op: WriteOp<S>, options?: WriteOptions): Promise<Written> {
    const result = await this.write([op], options)
    return result.writes[0] as Written
  }

  private async commit(
    planned: ReturnType<typeof planWrites>,
    space: string,
  ): Promise<WriteResult> {
    const count = planned.reduce((n, p) => n + p.writes.length, 0)
    const hlcs = await this.reserve(count)
    const events: Event[] = []
    const writes: Written[] = planned.map(({ op, type, id, writes: attrs }) => {
      let hlc = ''
      for (const [attribute, value] of attrs) {
        hlc = hlcs[events.length] as string
        events.push({ id: newId(), type, entity: id, attribute, value, hlc, client: this.client })
      }
      return { op, type, id, hlc }
    })
    const hlc = hlcs[hlcs.length - 1] as string
    const draft: Bundle = {
      id: newId(),
      client: this.client,
      hlc,
      ...(space !== this.user && { space }),
      events,
    }
    // The wire's own rules, as a device's push meets them: value sizes, events per bundle.
    const bundle = parseWire(bundleSchema(this.limits), draft, 'bundle')
    await this.store.push({
      stream: this.user,
      bundles: [bundle],
      now: this.now(),
      // Confirmed in the push: a service user revoked since the writer opened writes nothing.
      holder: { userId: this.user, tokenHash: null },
    })
    return { bundle: bundle.id, space, hlc, writes }
  }

  /**
   * `count` fresh HLCs, reserved in the database before use (compare-and-set from the last
   * reservation): whatever happens next, no process issues them again (invariant 2).
   */
  private async reserve(count: number): Promise<string[]> {
    for (let attempt = 0; attempt < MAX_RESERVE_ATTEMPTS; attempt++) {
      const from = this.reserved
      const last = this.clock.last
      // Another process reserved past this clock: start after what it took.
      if (from !== null && (last === null || from > last)) this.clock.receive(from)
      const hlcs = Array.from({ length: count }, () => this.clock.send())
      const to = hlcs[count - 1] as string
      const done = await this.store.advanceWriter({ user: this.user, name: this.name, from, to })
      this.reserved = done.last
      if (done.reserved) return hlcs
    }
    throw new TidingsError('unavailable', `writer ${this.name} could not reserve HLCs; retry later`)
  }
}
