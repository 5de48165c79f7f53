import { HybridClock, newId, ROUTES } from '@tidings/protocol'
import { type ServerHandle, startServerProcess } from './child.js'
import type { BenchContext } from './context.js'
import { tempDatabase } from './pg.js'
import { makeEvents, toBundles } from './workload.js'

export type Backend = 'sqlite' | 'postgres'

/** Events per bundle and bundles per request while seeding (10,000 events, ~2.5 MB a request). */
const PER_BUNDLE = 1_000
const BUNDLES_PER_REQUEST = 10

export interface Seeded {
  server: ServerHandle
  token: string
  events: number
  /** Seconds the seeding pushes took (not a measurement, shown in the log). */
  seedSeconds: number
}

/** POSTs one sync request, throwing the server's error body on a refusal. */
export const postSync = async (url: string, token: string, body: unknown): Promise<unknown> => {
  const response = await fetch(`${url}${ROUTES.sync}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`seeding push answered ${response.status}: ${text.slice(0, 300)}`)
  return JSON.parse(text)
}

/** Pushes `events` events (4 per document) from one seeding device, as raw protocol requests. */
const seed = async (server: ServerHandle, events: number): Promise<void> => {
  const token = server.tokens[0] as string
  const clock = new HybridClock({ node: newId() })
  const docsPerRequest = (PER_BUNDLE * BUNDLES_PER_REQUEST) / 4
  for (let doc = 0; doc * 4 < events; doc += docsPerRequest) {
    const docs = Math.min(docsPerRequest, events / 4 - doc)
    const bundles = toBundles(makeEvents(docs, clock, doc), PER_BUNDLE)
    await postSync(server.url, token, { client: clock.node, hlc: clock.send(), cursor: null, bundles })
  }
}

const cache = new Map<string, Promise<Seeded>>()
const cleanups: Array<() => Promise<void>> = []

/**
 * A server process on `backend` holding `events` events of one user, seeded once per run and
 * shared by the benchmarks that need it (initial sync, sync cost vs history).
 */
export const seededServer = (ctx: BenchContext, backend: Backend, events: number): Promise<Seeded> => {
  const key = `${backend}:${events}`
  let seeded = cache.get(key)
  if (!seeded) {
    seeded = (async () => {
      const server = await startOn(ctx, backend, key)
      const start = Date.now()
      ctx.log(`seeding ${events} events into ${backend}`)
      await seed(server, events)
      const seedSeconds = (Date.now() - start) / 1000
      ctx.log(`seeded ${events} events into ${backend} in ${seedSeconds.toFixed(1)} s`)
      return { server, token: server.tokens[0] as string, events, seedSeconds }
    })()
    cache.set(key, seeded)
  }
  return seeded
}

const startOn = async (ctx: BenchContext, backend: Backend, key: string): Promise<ServerHandle> => {
  if (backend === 'sqlite') {
    const server = await startServerProcess({ kind: 'tidings', db: `sqlite:${ctx.tmp}/seed-${key.replace(':', '-')}.db` })
    cleanups.push(() => server.stop())
    return server
  }
  const db = await tempDatabase()
  try {
    const server = await startServerProcess({ kind: 'tidings', db: db.url })
    cleanups.push(async () => {
      await server.stop()
      await db.drop()
    })
    return server
  } catch (error) {
    await db.drop()
    throw error
  }
}

/** Stops every seeded server and drops their databases. */
export const stopSeeded = async (): Promise<void> => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
  cache.clear()
}
