/**
 * Reads of the committed state, decoded into objects, for the client, its live queries and its
 * transactions. The private space is null locally: a query may name it by null or by its id.
 */
import { roleIn } from '../store/known-spaces.js'
import type { Store } from '../store/store.js'
import { rowToObject } from './objects.js'
import { equalityFilter, type Observers } from './observe.js'
import { compileFetch, type RawQuery } from './query.js'
import { decodeRows } from './row-decoder.js'
import type { Reader } from './transaction.js'

type Obj = Record<string, unknown>

export class LocalReads {
  constructor(
    private readonly store: Store,
    /** Throws once the client is closed. */
    private readonly open: () => void,
  ) {}

  read(type: string, id: string): Obj | null {
    this.open()
    const shape = this.store.schema.shape(type)
    const row = this.store.row(type, id)
    return row && Number(row.deleted) === 0 ? rowToObject(shape, row) : null
  }

  query(type: string, query?: RawQuery): Obj[] {
    this.open()
    const shape = this.store.schema.shape(type)
    const compiled = compileFetch(this.store.kysely, type, shape, this.local(query))
    return decodeRows(shape, this.store.sql.rows(compiled.sql, compiled.parameters))
  }

  /** A live query: `callback` gets the rows now and after every change that may touch them. */
  observe(
    observers: Observers,
    type: string,
    query: RawQuery,
    callback: (rows: Obj[]) => void,
  ): () => void {
    this.open()
    const shape = this.store.schema.shape(type)
    const compiled = compileFetch(this.store.kysely, type, shape, this.local(query))
    return observers.add(
      type,
      () => this.store.sql.all(compiled.sql, compiled.parameters),
      (rows) => rows.map((row) => rowToObject(shape, row)),
      callback as (rows: unknown[]) => void,
      query,
      equalityFilter((query ?? {}) as RawQuery) ?? undefined,
    )
  }

  /** What a transaction reads through. */
  reader(): Reader {
    return {
      get: (type, id) => this.read(type, id),
      exists: (type, id) => this.store.row(type, id) !== undefined,
      fetch: (type, query) => this.query(type, query as RawQuery | undefined),
      roleOf: (space) => roleIn(this.store.sql, space),
      localSpace: (space) => this.localSpace(space),
    }
  }

  /** A query whose `space` names the private space by its id asks for null. */
  local(query: RawQuery | undefined): RawQuery | undefined {
    if (typeof query?.space !== 'string' || query.space !== this.store.privateSpace) return query
    return { ...query, space: null }
  }

  /** The private space is null locally, whether named by null or by its id (the user's id). */
  private localSpace(space: string | null): string | null {
    return space !== null && space === this.store.privateSpace ? null : space
  }
}
