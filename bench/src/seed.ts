import path from 'node:path'
import { HybridClock, newId, ROUTES } from '@tidings/protocol'
import { type ServerHandle, withServer } from './child.js'
import type { BenchContext } from './context.js'
import { withTempDatabase } from './pg.js'
import { makeEvents, toBundles } from './workload.js'

export type Backend = 'sqlite' | 'postgres'

/** Events per bundle and bundles per request while seeding (10,000 events, ~2.5 MB a request). */
const PER_BUNDLE = 1_000
const BUNDLES_PER_REQUEST = 10

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

let seeded = 0

/**
 * Runs `fn` with a user holding `events` events on a server process and database of its own
 * (a new SQLite file, or a new Postgres database), both gone afterwards: every case starts on
 * equal footing, never on a server another benchmark already filled.
 */
export const withSeededUser = async <T>(
  ctx: BenchContext,
  backend: Backend,
  events: number,
  fn: (user: UserOn) => Promise<T>,
): Promise<T> => {
  const onServer = async (db: string): Promise<T> =>
    withServer({ kind: 'tidings', db }, async (server) => {
      const user = { server, token: server.tokens[0] as string }
      const start = Date.now()
      ctx.log(`seeding ${events} events into a new ${backend} server`)
      await seed(user, events)
      ctx.log(`seeded ${events} events in ${((Date.now() - start) / 1000).toFixed(1)} s`)
      return fn(user)
    })
  if (backend === 'postgres') return withTempDatabase(onServer)
  return onServer(`sqlite:${path.join(ctx.tmp, `seeded-${events}-${seeded++}.db`)}`)
}
