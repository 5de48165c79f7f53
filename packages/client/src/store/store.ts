import {
  type Bundle,
  type Event,
  HybridClock,
  type JsonValue,
  newId,
  type PartedBundle,
} from '@tidings/protocol'
import { Kysely, SqliteDialect } from 'kysely'
import { quote, type SqliteDatabase, type SqlRow, StatementCache } from '../driver/sqlite.js'
import type { Schema } from '../schema/define.js'
import { beginBulkLoad, endBulkLoad, restoreIndexes } from './bulk-load.js'
import { mergeByPosition } from './known-events.js'
import { lastEventSeq, logEvents } from './log-events.js'
import { migrate } from './migrations.js'
import { type BundleLimits, bundlesOf, holdPart, isHeldPart, partOf, recordPart } from './parts.js'
import { markSpace, rederiveEntitySpaces } from './space-rows.js'
import * as Q from './sql.js'
import { TypedTables, tableName } from './typed.js'
import type { UnreadableValue } from './unreadable.js'
import { markOpened } from './unresumed.js'
import { Winners } from './winners.js'
import { wipeRows } from './wipe.js'

/** One attribute write of a local change set, before it gets its event id and HLC. */
export interface Op {
  type: string
  entity: string
  attribute: string
  value: JsonValue
}

/** `sync_state` key of the private space's id (see `Store.privateSpace`). */
export const PRIVATE_SPACE_KEY = 'private_space'

/** The id, HLC and client of an op from `newOp` until `commitLocal` stamps them. */
const UNSTAMPED = ''

/**
 * An op shaped like the event it becomes, which `commitLocal` stamps in place: a transaction
 * of 10,000 writes then keeps 10,000 objects alive until its commit instead of 20,000 (copying
 * the survivors of each young-generation GC was a fifth of a bulk write). Only for ops that are
 * committed once; ops built otherwise are copied.
 */
export const newOp = (type: string, entity: string, attribute: string, value: JsonValue): Op => {
  const unstamped: Event = {
    id: UNSTAMPED,
    type,
    entity,
    attribute,
    value,
    hlc: UNSTAMPED,
    client: UNSTAMPED,
  }
  return unstamped
}

/** Test seams for crash tests; never needed by apps. */
export interface StoreHooks {
  /** Called inside the apply transaction after each pulled bundle is applied. */
  afterApplyBundle?: (applied: number) => void
}

export interface StoreOptions {
  database: SqliteDatabase
  schema: Schema
  now?: () => number
  /** A monotonic clock, against which a set wall clock is noticed (see `HybridClock`). */
  monotonic?: () => number
  hooks?: StoreHooks
}

/** What a commit changed: the types whose typed rows moved (for observers). */
export interface Changes {
  types: Set<string>
  applied: number
}

/**
 * The local store: event log, LWW registers, typed tables, outbox and sync state, all in one
 * SQLite database. Every method is synchronous and every write is one SQLite transaction.
 */
export class Store {
  private constructor(
    readonly sql: StatementCache,
    readonly kysely: Kysely<unknown>,
    readonly schema: Schema,
    readonly typed: TypedTables,
    readonly clock: HybridClock,
    private readonly hooks: StoreHooks,
  ) {}

  private pendingCount: number | null = null
  /** The offset last written to `sync_state` by a local commit. */
  private savedOffset = Number.NaN

  static async open(options: StoreOptions): Promise<Store> {
    const kysely = new Kysely<unknown>({
      dialect: new SqliteDialect({ database: options.database }),
    })
    await migrate(kysely)
    const sql = new StatementCache(options.database)
    const typed = new TypedTables(sql, options.schema)
    const clientId = sql.transaction(() => {
      typed.evolve(kysely)
      // A bulk load cut short (a crash, a close mid-sync): `evolve` made the indexes again.
      endBulkLoad(sql, typed, kysely, Object.keys(options.schema.types))
      const known = sql.one<{ value: string }>(Q.GET_STATE, ['client'])?.value
      if (known) return known
      const id = newId()
      sql.run(Q.SET_STATE, ['client', id])
      return id
    })
    const state = (key: string) => sql.one<{ value: string }>(Q.GET_STATE, [key])?.value
    const last = state('last_hlc') ?? null
    // Writes from here on are unvouched until a `resume` answer (see unresumed.ts).
    markOpened(sql, last)
    const clock = new HybridClock({
      node: clientId,
      last,
      offsetMs: Number(state('offset_ms') ?? 0),
      ...(options.now ? { now: options.now } : {}),
      ...(options.monotonic ? { monotonic: options.monotonic } : {}),
    })
    return new Store(sql, kysely, options.schema, typed, clock, options.hooks ?? {})
  }

  get clientId(): string {
    return this.clock.node
  }

  /**
   * The private space's id, once this device has learnt it (`GET /v1/spaces` lists it with
   * `private: true`; it is the user's id). Locally the private space is NULL; a pulled bundle
   * tagged with this id is private too.
   */
  get privateSpace(): string | undefined {
    return this.getState(PRIVATE_SPACE_KEY)
  }

  /** The space an entity belongs to: null for the private space (and for unknown entities). */
  spaceOf(entity: string): string | null {
    return this.sql.one<{ space: string }>(Q.ENTITY_SPACE, [entity])?.space ?? null
  }

  getState(key: string): string | undefined {
    return this.sql.one<{ value: string }>(Q.GET_STATE, [key])?.value
  }

  setState(key: string, value: string): void {
    this.sql.run(Q.SET_STATE, [key, value])
  }

  /**
   * Commits a local change set as one bundle in one SQLite transaction: log, registers, typed
   * rows, outbox and the last HLC (so HLCs keep increasing across restarts). Ops from `newOp`
   * become the bundle's events (stamped in place). A change set over `limits` (a number: the
   * event limit) becomes several bundles, the parts of one group (see `parts.ts`), still in one
   * SQLite transaction; `bundle` is then the first part. `space` is the shared space the change
   * set writes into (null: the private space, sent untagged). `alsoInTx` runs in the same
   * transaction with the stamped events, in the order of `ops` (the undo stack records them).
   */
  commitLocal(
    ops: readonly Op[],
    limits: number | BundleLimits,
    space: string | null = null,
    alsoInTx?: (events: readonly Event[]) => void,
  ): { bundle: Bundle; bundles: PartedBundle[]; changes: Changes } {
    const client = this.clientId
    const events: Event[] = new Array(ops.length)
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!
      const event: Event =
        (op as Partial<Event>).id === UNSTAMPED
          ? (op as Event)
          : {
              id: '',
              type: op.type,
              entity: op.entity,
              attribute: op.attribute,
              value: op.value,
              hlc: '',
              client,
            }
      event.id = newId()
      event.hlc = this.clock.send()
      event.client = client
      events[i] = event
    }
    const bundles = bundlesOf(
      events,
      client,
      typeof limits === 'number' ? { maxEvents: limits } : limits,
    )
    if (space !== null) for (const bundle of bundles) bundle.space = space
    const offset = this.clock.offsetMs
    const changes: Changes = { types: new Set(), applied: bundles.length }
    this.sql.transaction(() => {
      const winners = new Winners()
      let first = lastEventSeq(this.sql) + 1
      for (const bundle of bundles) {
        const last = first + bundle.events.length - 1
        this.sql.run(Q.INSERT_BUNDLE, [bundle.id, client, bundle.hlc, 1, 0, first, last, space])
        logEvents(this.sql, bundle.id, first, bundle.events, winners)
        if (bundle.part) recordPart(this.sql, bundle.id, bundle.part)
        this.sql.run(Q.QUEUE_OUTBOX, [bundle.id])
        first = last + 1
      }
      winners.writeTo(this.typed, changes.types)
      if (space !== null) markSpace(this.sql, this.schema, space, events)
      alsoInTx?.(events)
      this.sql.run(Q.SET_STATE, ['last_hlc', this.clock.last ?? events[events.length - 1]!.hlc])
      // The clock drops its offset when the wall clock is set: a restart must not bring it back.
      if (offset !== this.savedOffset) this.sql.run(Q.SET_STATE, ['offset_ms', String(offset)])
    })
    this.savedOffset = offset
    if (this.pendingCount !== null) this.pendingCount += bundles.length
    return { bundle: bundles[0]!, bundles, changes }
  }

  /**
   * Applies remote bundles in one transaction, through the same LWW path as local writes.
   * Idempotent (a known bundle or event id changes nothing) and order-independent. `alsoInTx`
   * runs in the same transaction (saving the cursor, acknowledging pushed bundles); `firstInTx`
   * runs in it before any bundle (membership changes, which come before the page's bundles).
   * A bundle's `space` is kept (absent or the private space's id: private, stored as NULL).
   */
  applyRemote(
    bundles: readonly PartedBundle[],
    alsoInTx?: () => void,
    firstInTx?: (changes: Changes) => void,
  ): Changes {
    const changes: Changes = { types: new Set(), applied: 0 }
    // Acknowledgements inside `alsoInTx` change the outbox: count it again next time it's asked.
    this.pendingCount = null
    this.sql.transaction(() => {
      firstInTx?.(changes)
      const winners = new Winners()
      const privateSpace = this.privateSpace
      const shared: Array<{ space: string; events: readonly Event[] }> = []
      let next = lastEventSeq(this.sql) + 1
      const apply = (bundle: PartedBundle) => {
        const first = next
        const last = first + bundle.events.length - 1
        const space =
          bundle.space === undefined || bundle.space === privateSpace ? null : bundle.space
        const row = [bundle.id, bundle.client, bundle.hlc, 0, 1, first, last, space]
        if (this.sql.run(Q.INSERT_BUNDLE, row) === 0) return
        next = logEvents(this.sql, bundle.id, first, bundle.events, winners) + 1
        if (space !== null) shared.push({ space, events: bundle.events })
        if (bundle.part) recordPart(this.sql, bundle.id, bundle.part)
        changes.applied += 1
        this.hooks.afterApplyBundle?.(changes.applied)
      }
      for (const bundle of bundles) {
        this.clock.receive(bundle.hlc)
        if (!bundle.part) apply(bundle)
        // A part waits aside until its whole transaction is here, then all of it applies.
        else for (const whole of holdPart(this.sql, bundle, bundle.part) ?? []) apply(whole)
      }
      winners.writeTo(this.typed, changes.types)
      for (const { space, events } of shared) markSpace(this.sql, this.schema, space, events)
      alsoInTx?.()
      const last = this.clock.last
      if (last) this.sql.run(Q.SET_STATE, ['last_hlc', last])
    })
    return changes
  }

  /**
   * A pull of several pages is starting: when nothing is in the log yet, the typed tables'
   * secondary indexes are dropped until `endBulkLoad` (see bulk-load.ts). Own transaction.
   */
  beginBulkLoad(): boolean {
    return beginBulkLoad(this.sql, Object.keys(this.schema.types))
  }

  /** The pull caught up: a bulk load under way gets its indexes back. Caller's transaction. */
  endBulkLoad(): boolean {
    return endBulkLoad(this.sql, this.typed, this.kysely, Object.keys(this.schema.types))
  }

  /** The typed row of an entity, deleted or not; undefined when it has never been written. */
  row(type: string, id: string): SqlRow | undefined {
    return this.sql.one(`SELECT * FROM ${quote(tableName(type))} WHERE id = ?`, [id])
  }

  /** True when the log holds this bundle, or holds it aside as a part of a group still coming. */
  hasBundle(id: string): boolean {
    return this.sql.one(Q.BUNDLE_BY_ID, [id]) !== undefined || isHeldPart(this.sql, id)
  }

  /**
   * A stored bundle with its events (and its part, if it is one), as it is pushed: whole, even
   * when some of its events were logged under another bundle first (`known-events.ts`).
   */
  bundle(id: string): PartedBundle | undefined {
    const found = this.sql.one<{ id: string; client: string; hlc: string; space: string | null }>(
      Q.BUNDLE_BY_ID,
      [id],
    )
    if (!found) return undefined
    const { space, ...rest } = found
    const head: Bundle = space === null ? { ...rest, events: [] } : { ...rest, space, events: [] }
    type Row = Omit<Event, 'value'> & { value: string; position: number }
    const rows = mergeByPosition(
      this.sql.all<Row>(Q.BUNDLE_EVENTS, [id]),
      this.sql.all<Row>(Q.BUNDLE_KNOWN_EVENTS, [id]),
    )
    const bundle: PartedBundle = {
      ...head,
      events: rows.map(({ position: _, ...r }) => ({
        ...r,
        value: JSON.parse(r.value) as JsonValue,
      })),
    }
    const part = partOf(this.sql, id)
    if (part) bundle.part = part
    return bundle
  }

  /** Unacknowledged bundle ids in commit order, after outbox position `after`. */
  outbox(after: number, limit: number): Array<{ seq: number; bundle: string }> {
    return this.sql.all(Q.OUTBOX_PAGE, [after, limit])
  }

  /**
   * Bundles waiting for the server. Counted once and then kept up to date by local commits, so
   * asking after every write stays O(1) however large an offline outbox grows.
   */
  pending(): number {
    this.pendingCount ??= Number(this.sql.one<{ n: number }>(Q.OUTBOX_COUNT)?.n ?? 0)
    return this.pendingCount
  }

  /** Marks bundles the server holds; call inside a transaction. */
  acknowledge(ids: readonly string[]): number {
    let removed = 0
    for (const id of ids) {
      removed += this.sql.run(Q.DEQUEUE_OUTBOX, [id])
      this.sql.run(Q.ACKNOWLEDGE_BUNDLE, [id])
    }
    return removed
  }

  /** Queues known bundles again (verify found the server lacks them). */
  requeue(ids: readonly string[]): void {
    this.pendingCount = null
    this.sql.transaction(() => {
      for (const id of ids) this.sql.run(Q.QUEUE_OUTBOX, [id])
    })
  }

  /** Takes bundles out of the outbox unacknowledged (refused for good); call inside a transaction. */
  dequeue(ids: readonly string[]): void {
    this.pendingCount = null
    for (const id of ids) this.sql.run(Q.DEQUEUE_OUTBOX, [id])
  }

  /** Ids of every stored bundle, or of one client's. */
  bundleIds(client?: string): string[] {
    const rows =
      client === undefined
        ? this.sql.all<{ id: string }>(Q.ALL_BUNDLE_IDS)
        : this.sql.all<{ id: string }>(Q.CLIENT_BUNDLE_IDS, [client])
    return rows.map((r) => r.id)
  }

  /**
   * Recomputes registers and typed tables from the log alone, by a different route than the
   * incremental path (a window query picks each register's winner), so tests can compare them.
   */
  rebuild(): Set<string> {
    return this.sql.transaction(() => this.rebuildInTransaction())
  }

  /** `rebuild` inside the caller's transaction. */
  rebuildInTransaction(): Set<string> {
    this.sql.run('DELETE FROM attributes')
    this.sql.run(`INSERT INTO attributes (type, entity, attribute, seq)
        SELECT type, entity, attribute, seq FROM (
          SELECT *, row_number() OVER (PARTITION BY type, entity, attribute ORDER BY hlc DESC, id DESC) AS rn FROM events
        ) WHERE rn = 1`)
    this.typed.clear()
    rederiveEntitySpaces(this.sql)
    for (const type of Object.keys(this.schema.types)) {
      for (const [attribute] of this.typed.columns(type)) this.typed.backfill(type, attribute)
      this.typed.fillSpaces(type)
    }
    return new Set(Object.keys(this.schema.types))
  }

  /** Values of the log this app version cannot read, in (type, id, attribute) order. */
  unreadable(): UnreadableValue[] {
    return this.typed.projection.unreadable.list()
  }

  /** How many values of the log this app version cannot read. */
  unreadableCount(): number {
    return this.typed.projection.unreadable.count()
  }

  /**
   * Empties the store for a resync (`inspector().resetDevice()`), keeping the client id and
   * the clock: see `wipe.ts`. One transaction: a crash leaves the device as it was or wiped.
   */
  wipe(): void {
    this.sql.transaction(() => {
      wipeRows(this.sql)
      // A bulk load cut short by the wipe: its mark went with the rows, the indexes come back.
      restoreIndexes(this.sql, this.typed, this.kysely, Object.keys(this.schema.types))
    })
    this.pendingCount = null
  }

  /** Every register and typed row, sorted: two replicas with the same events dump the same. */
  dump(): { attributes: SqlRow[]; tables: Record<string, SqlRow[]> } {
    const attributes = this.sql.all(`${Q.REGISTERS} ORDER BY a.type, a.entity, a.attribute`)
    const tables: Record<string, SqlRow[]> = {}
    for (const type of Object.keys(this.schema.types))
      tables[type] = this.sql.all(`SELECT * FROM ${quote(tableName(type))} ORDER BY id`)
    return { attributes, tables }
  }

  close(): void {
    this.sql.close()
  }
}
