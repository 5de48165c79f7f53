import { rowToObject } from '../api/objects.js'
import type { RawQuery } from '../api/query.js'
import { compileFetch } from '../api/query.js'
import { decodeRows } from '../api/row-decoder.js'
import type { AnyAttr } from '../schema/attr.js'
import type { Store } from '../store/store.js'
import { asOfTable } from './as-of-sql.js'
import { boundOf } from './bound.js'
import { greatestHorizon } from './horizons.js'

type Obj = Record<string, unknown>

/** Whether an entity has an event stamped after the bound (a scan: the log has no entity index). */
const WRITTEN_SINCE = 'SELECT 1 FROM events WHERE type = ? AND entity = ? AND hlc > ? LIMIT 1'

/**
 * `client.asOf(at)`: reads as the state was at `at` (an HLC, a `Date` or epoch ms), computed
 * from the log on each call — nothing is materialized or cached, so a view also sees events
 * pulled later that were stamped before its bound (the past as this device now knows it).
 * Each read folds the log of one type (or one entity) up to the bound: it costs a scan of the
 * log, not an index lookup like `get`/`fetch` on the typed tables.
 */
export class AsOfReader {
  readonly at: string
  readonly truncatedBefore?: string

  constructor(
    private readonly store: Store,
    at: string | Date | number,
    /** The client's mapping of a query's `space` (the private space's id reads as null). */
    private readonly local: (query: RawQuery | undefined) => RawQuery | undefined,
    private readonly open: () => void,
  ) {
    this.at = boundOf(at)
    const horizon = greatestHorizon(store.sql)
    if (horizon !== undefined && this.at < horizon) this.truncatedBefore = horizon
  }

  async get(type: string, id: string): Promise<Obj | null> {
    this.open()
    const shape = this.store.schema.shape(type) as Readonly<Record<string, AnyAttr>>
    // Not written since the bound (the common case): its typed row now is its row then.
    if (!this.store.sql.one(WRITTEN_SINCE, [type, id, this.at])) {
      const row = this.store.row(type, id)
      return row && Number(row.deleted) === 0 ? rowToObject(shape, row) : null
    }
    const table = asOfTable(this.store.schema, type, true)
    const compiled = compileFetch(this.store.kysely, type, shape, { where: { id } })
    const rows = this.store.sql.rows(`${table.cte} ${compiled.sql}`, [
      ...table.params(this.at, id),
      ...compiled.parameters,
    ])
    return rows.length === 0 ? null : decodeRows(shape, rows)[0]!
  }

  async fetch(type: string, query?: RawQuery): Promise<Obj[]> {
    this.open()
    const shape = this.store.schema.shape(type) as Readonly<Record<string, AnyAttr>>
    const table = asOfTable(this.store.schema, type, false)
    const compiled = compileFetch(this.store.kysely, type, shape, this.local(query))
    return decodeRows(
      shape,
      this.store.sql.rows(`${table.cte} ${compiled.sql}`, [
        ...table.params(this.at),
        ...compiled.parameters,
      ]),
    )
  }
}
