/**
 * The Tidings client as the benchmarks use it: only its public API, loaded lazily so a missing
 * or broken client becomes an error row in the table instead of ending the run.
 */
import type { ServerOptions } from '@tidings/client'
import type { DocFields } from './workload.js'

export const loadTidings = async () => {
  const [client, node] = await Promise.all([
    import('@tidings/client'),
    import('@tidings/client/node'),
  ])
  const { t } = client
  // The same physical design as the raw baseline's table: one (author, title) index.
  const schema = client.defineSchema(
    { document: { author: t.string(), title: t.string(), url: t.string(), note: t.string() } },
    { indexes: { document: [['author', 'title']] } },
  )
  /**
   * A client on a database file (WAL) or `:memory:`, optionally syncing with `server`;
   * `historyIndex` as `openClient` takes it.
   */
  const open = (path: string, server?: ServerOptions, options: { historyIndex?: boolean } = {}) =>
    client.openClient({
      schema,
      database: node.openNodeDatabase(path),
      ...(server ? { server } : {}),
      ...options,
    })
  return { open, schema }
}

export type Tidings = Awaited<ReturnType<typeof loadTidings>>
export type BenchClient = Awaited<ReturnType<Tidings['open']>>

/** Documents per transaction: 2,500 × 4 = 10,000 events, the most one bundle may carry. */
export const DOCS_PER_TRANSACTION = 2_500

/** Creates `docs` in transactions of `perTransaction` documents (one bundle each). */
export const createDocs = async (
  client: BenchClient,
  docs: readonly DocFields[],
  perTransaction = DOCS_PER_TRANSACTION,
): Promise<void> => {
  for (let start = 0; start < docs.length; start += perTransaction) {
    const slice = docs.slice(start, start + perTransaction)
    await client.transaction(async (tx) => {
      for (const fields of slice) await tx.create('document', fields)
    })
  }
}

/** Pulls until the server has nothing more (a sync answers one page at a time). */
export const syncAll = async (client: BenchClient): Promise<number> => {
  let pulled = 0
  for (;;) {
    const result = await client.sync()
    pulled += result.pulled
    if (result.pulled === 0 && result.pushed === 0) return pulled
  }
}
