import { type JsonValue, newId, TidingsError } from '@tidings/protocol'
import type { Schema } from '../schema/define.js'
import { checkCreate, checkPatch } from '../schema/validate.js'
import { newOp, type Op } from '../store/store.js'
import { applyWrites } from './objects.js'
import { assertValueFits } from './value-size.js'

/** Reads of committed state a transaction builds on. */
export interface Reader {
  get(type: string, id: string): Record<string, unknown> | null
  /** Whether the entity was ever written, deleted or not. */
  exists(type: string, id: string): boolean
  fetch(type: string, query?: unknown): Record<string, unknown>[]
}

/**
 * A unit of work, like a Core Data context: writes are validated at once and buffered in
 * memory, then committed by the client as ONE bundle in ONE SQLite transaction when the
 * callback resolves (nothing is written if it throws). `get` sees the transaction's own
 * writes; `fetch` sees committed state only (it is plain SQL over the typed table).
 */
export class Transaction {
  readonly ops: Op[] = []
  /**
   * Entities this transaction touched, by type then id: their state as the transaction sees it
   * (null = deleted). Nested maps: no key string is built per write.
   */
  private readonly seen = new Map<string, Map<string, Record<string, unknown> | null>>()
  private closed = false

  constructor(
    private readonly schema: Schema,
    private readonly reader: Reader,
    /** The largest value the server takes (`maxValueBytes`); a bigger one is refused here. */
    private readonly maxValueBytes = Number.POSITIVE_INFINITY,
  ) {}

  async create(type: string, fields: unknown): Promise<Record<string, unknown>> {
    this.open()
    const checked = checkCreate(this.schema, type, fields)
    const id = checked.id ?? newId()
    const writes = checked.writes
    const seen = this.seenOf(type)
    // A fresh UUIDv7 cannot collide; only a caller-chosen id needs the existence check. A
    // tombstoned id is taken too: re-creating it would write fields to an invisible entity.
    if (checked.id !== undefined && (seen.has(id) || this.reader.exists(type, id)))
      throw new TidingsError(
        'conflict',
        `${type} ${id} already exists (or existed and was deleted)`,
      )
    // An entity with no attribute set still needs one event to exist on other replicas.
    if (writes.length > 0) this.push(type, id, writes)
    else this.ops.push(newOp(type, id, 'deleted', false))
    const object = applyWrites(this.schema.shape(type), { id }, writes)
    seen.set(id, object)
    return { ...object }
  }

  async get(type: string, id: string): Promise<Record<string, unknown> | null> {
    return this.read(type, id)
  }

  async fetch(type: string, query?: unknown): Promise<Record<string, unknown>[]> {
    this.open()
    return this.reader.fetch(type, query)
  }

  async update(type: string, id: string, patch: unknown): Promise<Record<string, unknown>> {
    this.open()
    const writes = checkPatch(this.schema, type, patch)
    const current = this.read(type, id)
    if (!current) throw notFound(type, id)
    this.push(type, id, writes)
    const object = applyWrites(this.schema.shape(type), current, writes)
    this.seenOf(type).set(id, object)
    return { ...object }
  }

  async delete(type: string, id: string): Promise<void> {
    this.open()
    if (!this.read(type, id)) throw notFound(type, id)
    this.ops.push(newOp(type, id, 'deleted', true))
    this.seenOf(type).set(id, null)
  }

  /** Ends the transaction; later calls on it throw (it escaped its callback). */
  close(): Op[] {
    this.closed = true
    return this.ops
  }

  private read(type: string, id: string): Record<string, unknown> | null {
    this.open()
    this.schema.shape(type)
    const seen = this.seen.get(type)
    if (seen?.has(id)) {
      const object = seen.get(id)
      return object ? { ...object } : null
    }
    return this.reader.get(type, id)
  }

  private seenOf(type: string): Map<string, Record<string, unknown> | null> {
    let seen = this.seen.get(type)
    if (!seen) {
      seen = new Map()
      this.seen.set(type, seen)
    }
    return seen
  }

  private push(
    type: string,
    entity: string,
    writes: ReadonlyArray<readonly [string, JsonValue]>,
  ): void {
    // Every value is checked before any is buffered: a refused write leaves nothing behind.
    for (let i = 0; i < writes.length; i++) {
      const write = writes[i]!
      assertValueFits(type, write[0], write[1], this.maxValueBytes)
    }
    for (let i = 0; i < writes.length; i++) {
      const write = writes[i]!
      this.ops.push(newOp(type, entity, write[0], write[1]))
    }
  }

  private open(): void {
    if (this.closed) throw new TidingsError('bad_request', 'this transaction has already ended')
  }
}

const notFound = (type: string, id: string) =>
  new TidingsError('not_found', `${type} ${id} does not exist`)
