import type { RawQuery } from '../api/query.js'
import { compileFetch } from '../api/query.js'
import { decodeRows } from '../api/row-decoder.js'
import type { AnyAttr } from '../schema/attr.js'
import type { Store } from '../store/store.js'
import { asOfTable } from './as-of-sql.js'
import { boundOf } from './bound.js'
import type { ValueReader } from './decode-value.js'
import { entityAsOf, foldChanged } from './fold-entity.js'
import { greatestHorizon } from './horizons.js'

type Obj = Record<string, unknown>

/**
 * `client.asOf(at)`: reads as the state was at `at` (an HLC, a `Date` or epoch ms), computed
 * from the log on each call — nothing is materialized or cached, so a view also sees events
 * pulled later that were stamped before its bound (the past as this device now knows it).
 * Each read scans the log once or twice (it has no index by entity or time: every write would
 * pay for one), where `get`/`fetch` on the typed tables look up an index.
 */
export class AsOfReader {
  readonly at: string
  readonly truncatedBefore?: string

  constructor(
    private readonly store: Store,
    private readonly values: ValueReader,
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
    return entityAsOf(this.store, this.values, type, id, this.at)
  }

  async fetch(type: string, query?: RawQuery): Promise<Obj[]> {
    this.open()
    const shape = this.store.schema.shape(type) as Readonly<Record<string, AnyAttr>>
    const table = asOfTable(this.store.schema, type)
    const compiled = compileFetch(this.store.kysely, type, shape, this.local(query))
    const { changed, rows } = foldChanged(this.store, this.values, type, this.at)
    return decodeRows(
      shape,
      this.store.sql.rows(`${table.cte} ${compiled.sql}`, [
        ...table.params(changed, rows),
        ...compiled.parameters,
      ]),
    )
  }
}
