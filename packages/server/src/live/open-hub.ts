import { type LiveHub, LocalHub } from './hub.js'

/**
 * The hub a database URL calls for: Postgres URLs fan out across nodes through LISTEN/NOTIFY;
 * every other backend (SQLite, PGlite, memory) lives in one process and pokes in memory.
 * Started before it is returned, so a server never listens with a deaf hub.
 */
export const openHub = async (
  dbUrl: string,
  options: { channel?: string } = {},
): Promise<LiveHub> => {
  const hub: LiveHub =
    dbUrl.startsWith('postgres://') || dbUrl.startsWith('postgresql://')
      ? new (await import('./postgres-hub.js')).PostgresHub({ url: dbUrl, ...options })
      : new LocalHub()
  await hub.start()
  return hub
}
