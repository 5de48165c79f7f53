import type { RawQuery } from '../api/query.js'
import { compileFetch } from '../api/query.js'
import { decodeRows } from '../api/row-decoder.js'
import type { AnyAttr } from '../schema/attr.js'
import type { Store } from '../store/store.js'
import { asOfTable, foldedTable } from './as-of-sql.js'
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
    const compiled = compileFetch(this.store.kysely, type, shape, this.local(query))
    const fold = declaresConversions(shape) ? 'javascript' : 'sql'
    return decodeRows(shape, pastRows(this.store, this.values, type, this.at, compiled, fold))
  }
}

/**
 * The rows of `compiled` (a `compileFetch` of `type`) over the past at `at`, with the changed
 * entities folded again in SQL (`asOfTable`) or in JavaScript (`foldedTable`, conversions run).
 * For a type without conversions both give the same rows (the property test checks).
 */
export const pastRows = (
  store: Store,
  values: ValueReader,
  type: string,
  at: string,
  compiled: { sql: string; parameters: readonly unknown[] },
  fold: 'sql' | 'javascript',
): unknown[][] => {
  let table: { cte: string; params: unknown[] }
  if (fold === 'javascript') {
    const { changed, rows } = foldChanged(store, values, type, at)
    const folded = foldedTable(store.schema, type)
    table = { cte: folded.cte, params: folded.params(changed, rows) }
  } else {
    const inSql = asOfTable(store.schema, type)
    table = { cte: inSql.cte, params: inSql.params(at) }
  }
  return store.sql.rows(`${table.cte} ${compiled.sql}`, [...table.params, ...compiled.parameters])
}

/**
 * Whether a value of another kind may read as something here: then the past is folded in
 * JavaScript, where conversions run (else in SQL, which reads such values as absent, as
 * `readAs` does without a conversion).
 */
const declaresConversions = (shape: Readonly<Record<string, AnyAttr>>): boolean =>
  Object.values(shape).some((attr) => (attr.spec.conversions?.length ?? 0) > 0)
