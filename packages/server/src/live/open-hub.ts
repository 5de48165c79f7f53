import { TidingsError } from '@tidings/protocol'
import { readPooler } from '../store/dialects/pooler.js'
import { type LiveHub, LocalHub } from './hub.js'

export interface HubOptions {
  channel?: string
  /**
   * Where to `LISTEN` when the database URL goes through a transaction-mode pooler (which holds
   * no session): a direct or session-mode Postgres URL, or `none` for pokes within this process
   * only (one node).
   */
  listenUrl?: string
}

/**
 * The hub a database URL calls for: Postgres URLs fan out across nodes through LISTEN/NOTIFY;
 * every other backend (SQLite, PGlite, memory) lives in one process and pokes in memory.
 * Started before it is returned, so a server never listens with a deaf hub.
 */
export const openHub = async (dbUrl: string, options: HubOptions = {}): Promise<LiveHub> => {
  const hub = await chooseHub(dbUrl, options)
  await hub.start()
  return hub
}

const isPostgres = (url: string) => url.startsWith('postgres://') || url.startsWith('postgresql://')

const chooseHub = async (dbUrl: string, options: HubOptions): Promise<LiveHub> => {
  if (!isPostgres(dbUrl)) return new LocalHub()
  const { url, pooler } = readPooler(dbUrl)
  let listenUrl = options.listenUrl ?? (pooler === 'transaction' ? undefined : url)
  if (listenUrl === 'none') return new LocalHub()
  if (listenUrl === undefined)
    throw new TidingsError(
      'bad_request',
      'the database URL goes through a transaction-mode pooler, where LISTEN cannot work: give --listen-db a direct (or session-mode) Postgres URL for live pokes, or --listen-db none on a single node',
    )
  listenUrl = readPooler(listenUrl).url
  const { PostgresHub } = await import('./postgres-hub.js')
  return new PostgresHub({ url: listenUrl, ...(options.channel && { channel: options.channel }) })
}
