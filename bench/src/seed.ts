import path from 'node:path'
import { HybridClock, newId, ROUTES } from '@tidings/protocol'
import { type ServerHandle, startServerProcess } from './child.js'
import type { BenchContext } from './context.js'
import { tempDatabase } from './pg.js'
import { makeEvents, toBundles } from './workload.js'

export type Backend = 'sqlite' | 'postgres'

/** Events per bundle and bundles per request while seeding (10,000 events, ~2.5 MB a request). */
const PER_BUNDLE = 1_000
const BUNDLES_PER_REQUEST = 10
/** Users of the shared server: 50 load connections plus a few for the smaller benchmarks. */
const SHARED_USERS = 64
/** Histories up to this size live on the shared server instead of a process of their own. */
const SMALL_HISTORY = 10_000

/** A server and one of its users, whose bundles only that user's clients see. */
export interface UserOn {
  server: ServerHandle
  token: string
}

/** POSTs one sync request, throwing the server's error body on a refusal. */
export const postSync = async (url: string, token: string, body: unknown): Promise<unknown> => {
  const response = await fetch(`${url}${ROUTES.sync}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  })
  const text = await response.text()
  if (!response.ok)
    throw new Error(`seeding push answered ${response.status}: ${text.slice(0, 300)}`)
  return JSON.parse(text)
}

/** Pushes `events` events (4 per document) from one seeding device, as raw protocol requests. */
const seed = async ({ server, token }: UserOn, events: number): Promise<void> => {
  const clock = new HybridClock({ node: newId() })
  const docsPerRequest = (PER_BUNDLE * BUNDLES_PER_REQUEST) / 4
  for (let doc = 0; doc * 4 < events; doc += docsPerRequest) {
    const docs = Math.min(docsPerRequest, events / 4 - doc)
    const bundles = toBundles(makeEvents(docs, clock, doc), PER_BUNDLE)
    await postSync(server.url, token, {
      client: clock.node,
      hlc: clock.send(),
      cursor: null,
      bundles,
    })
  }
}

const cleanups: Array<() => Promise<void>> = []
let shared: Promise<ServerHandle> | null = null
let nextUser = 0

/**
 * One SQLite server process for the whole run (starting a process costs seconds on a loaded
 * 2-core machine); each caller gets users no one else has used, so their data never mix.
 */
export const takeUsers = async (
  ctx: BenchContext,
  count: number,
): Promise<{ server: ServerHandle; tokens: string[] }> => {
  shared ??= startServerProcess({
    kind: 'tidings',
    db: `sqlite:${path.join(ctx.tmp, 'shared-server.db')}`,
    users: SHARED_USERS,
  }).then((server) => {
    cleanups.push(() => server.stop())
    return server
  })
  const server = await shared
  if (nextUser + count > server.tokens.length)
    throw new Error(`the shared server has only ${SHARED_USERS} users`)
  const tokens = server.tokens.slice(nextUser, nextUser + count)
  nextUser += count
  return { server, tokens }
}

const cache = new Map<string, Promise<UserOn>>()

/**
 * A user holding `events` events on `backend`, seeded once per run and shared by the
 * benchmarks that need it (initial sync, remote apply, sync cost vs history). Large histories
 * get a server process (and, on Postgres, a database) of their own.
 */
export const seededUser = (
  ctx: BenchContext,
  backend: Backend,
  events: number,
): Promise<UserOn> => {
  const key = `${backend}-${events}`
  let seeded = cache.get(key)
  if (!seeded) {
    seeded = (async () => {
      const user = await userOn(ctx, backend, key, events)
      const start = Date.now()
      ctx.log(`seeding ${events} events into ${backend}`)
      await seed(user, events)
      ctx.log(
        `seeded ${events} events into ${backend} in ${((Date.now() - start) / 1000).toFixed(1)} s`,
      )
      return user
    })()
    cache.set(key, seeded)
  }
  return seeded
}

const userOn = async (
  ctx: BenchContext,
  backend: Backend,
  key: string,
  events: number,
): Promise<UserOn> => {
  if (backend === 'sqlite' && events <= SMALL_HISTORY) {
    const { server, tokens } = await takeUsers(ctx, 1)
    return { server, token: tokens[0] as string }
  }
  if (backend === 'sqlite') {
    const server = await startServerProcess({
      kind: 'tidings',
      db: `sqlite:${path.join(ctx.tmp, `seed-${key}.db`)}`,
    })
    cleanups.push(() => server.stop())
    return { server, token: server.tokens[0] as string }
  }
  const db = await tempDatabase()
  try {
    const server = await startServerProcess({ kind: 'tidings', db: db.url })
    cleanups.push(async () => {
      await server.stop()
      await db.drop()
    })
    return { server, token: server.tokens[0] as string }
  } catch (error) {
    await db.drop()
    throw error
  }
}

/** Stops every server this module started and drops their databases. */
export const stopServers = async (): Promise<void> => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  cache.clear()
  shared = null
  nextUser = 0
}
