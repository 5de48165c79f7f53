import { canWrite, type JsonValue, newId, type Role, TidingsError } from '@tidings/protocol'
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
  /** This user's role in a shared space, as this device last heard; undefined when unknown. */
  roleOf(space: string): Role | undefined
  /** A space as stored: null for the private space, named by null or by its id. */
  localSpace(space: string | null): string | null
}

/** Where `create` puts the entity: a shared space's id, or null (the default) for the private space. */
export interface CreateOptions {
  space?: string | null
}

/**
 * A unit of work, like a Core Data context: writes are validated at once and buffered in
 * memory, then committed by the client as ONE bundle in ONE SQLite transaction when the
 * callback resolves (nothing is written if it throws). `get` sees the transaction's own
 * writes; `fetch` sees committed state only (it is plain SQL over the typed table).
 *
 * A transaction writes one space (DESIGN §8: one transaction, one bundle, and a bundle belongs
 * to one space): the first write fixes it (a create's `space`, an update's or delete's entity's
 * own space); a write into another space, or into a space where this user is a `reader`, throws
 * at once and the transaction commits nothing if the error escapes it.
 */
export class Transaction {
  readonly ops: Op[] = []
  /** Entities this transaction created, by type then id (undoing it deletes them). */
  readonly created = new Map<string, Set<string>>()
  /** The space this transaction writes (null: private); undefined until the first write. */
  space: string | null | undefined = undefined
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

  async create(
    type: string,
    fields: unknown,
    options: CreateOptions = {},
  ): Promise<Record<string, unknown>> {
    this.open()
    const space = this.reader.localSpace(options.space ?? null)
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
    this.enter(space)
    // An entity with no attribute set still needs one event to exist on other replicas.
    if (writes.length > 0) this.push(type, id, writes)
    else this.ops.push(newOp(type, id, 'deleted', false))
    const object = applyWrites(this.schema.shape(type), { id, space }, writes)
    seen.set(id, object)
    let created = this.created.get(type)
    if (!created) {
      created = new Set()
      this.created.set(type, created)
    }
    created.add(id)
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
    this.enter(current.space as string | null)
    this.push(type, id, writes)
    const object = applyWrites(this.schema.shape(type), current, writes)
    this.seenOf(type).set(id, object)
    return { ...object }
  }

  async delete(type: string, id: string): Promise<void> {
    this.open()
    const current = this.read(type, id)
    if (!current) throw notFound(type, id)
    this.enter(current.space as string | null)
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

  /** Fixes the transaction's space at its first write; refuses a second space or a read-only one. */
  private enter(space: string | null): void {
    if (this.space === space) return
    if (this.space !== undefined)
      throw new TidingsError(
        'bad_request',
        `a transaction writes one space: it writes ${this.space ?? 'the private space'}, not ${space ?? 'the private space'}`,
      )
    if (space !== null) {
      const role = this.reader.roleOf(space)
      if (role === undefined)
        throw new TidingsError(
          'not_found',
          `space ${space} is not among this device's spaces (call spaces() or sync first)`,
        )
      if (!canWrite(role))
        throw new TidingsError('forbidden', `your role in space ${space} is ${role}: read only`)
    }
    this.space = space
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
