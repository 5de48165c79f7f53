import type { Limits, Schema } from '@tidings/protocol'
import type { FastifyInstance } from 'fastify'
import type { JwtIssuer } from './auth/jwt/config.js'
import { addUser, ensureUserWithToken, type NewUser } from './auth/users.js'
import { DEFAULT_DB, DEFAULT_PORT } from './defaults.js'
import { buildApp } from './http/app.js'
import type { CorsOrigins } from './http/cors-origins.js'
import type { RateLimit } from './http/rate-limit-option.js'
import { DEMO_USERS } from './http/routes/demo.js'
import type { TrustProxy } from './http/trust-proxy.js'
import { type LiveHub, openHub, withPokes } from './live/index.js'
import { Projector } from './read-model/projector.js'
import type { ReadModelSchema } from './read-model/schema-file.js'
import { withReadModel } from './read-model/with-read-model.js'
import { KyselyStore } from './store/kysely-store.js'
import { openBackend } from './store/open.js'
import type { Store } from './store/store.js'

export interface ServerOptions {
  /** 'memory' | 'sqlite:PATH' | 'postgres://…' | 'pglite:memory' | 'pglite:DIR'; default 'sqlite:./tidings.db'. */
  db?: string
  /** 0 picks a free port; default 8787. */
  port?: number
  /** Default 127.0.0.1. */
  host?: string
  limits?: Partial<Limits>
  logger?: boolean | Record<string, unknown>
  /** A built single-page app to serve at `/`. */
  static?: string
  /** Insecure demo mode: users `demo` and `friend` with fixed tokens, served at `/config.json`. */
  demo?: boolean
  /** Requests per user (its token; or per IP, without one); default 100/s; false turns it off. */
  rateLimit?: RateLimit | false
  /**
   * Behind a reverse proxy: the proxies' addresses or CIDR ranges (or true: any peer) whose
   * `X-Forwarded-For` names the client. Default false: the socket's address is the client's.
   */
  trustProxy?: TrustProxy
  /** Origins whose pages may call the API from a browser (`*`: any); default none. */
  cors?: CorsOrigins
  /**
   * Where live pokes `LISTEN` when `db` goes through a transaction-mode pooler
   * (`?pooler=transaction`): a direct Postgres URL, or `none` (pokes within this process only).
   */
  listenDb?: string
  /** Identity providers whose JWTs authenticate users beside the server's own tokens. */
  jwtIssuers?: readonly JwtIssuer[]
  /**
   * The oldest app schema version (`defineSchema(…, { version })`) whose clients may sync; older
   * ones, and apps that declare none, get 426 `schema_too_old`. Default: every client.
   */
  minSchemaVersion?: number
  /** The app's schema, for `POST /v1/spaces/:space/writes` (see `AppDeps.schema`). */
  schema?: Schema
  /**
   * The SQL read model (`read-model/`): on by default; `false` turns it off. `schema` (the
   * app's, see `loadSchemaFile`) adds one typed table per type beside the generic tables.
   */
  readModel?: false | { schema?: ReadModelSchema; pollMs?: number; measureLag?: boolean }
  /**
   * Compacts every space on a schedule (see `store/compaction/`): every `everyMs`, superseded
   * events older than `olderThanMs` are dropped. One run at a time; a failed run is logged and
   * the next one tries again.
   */
  compaction?: { everyMs: number; olderThanMs: number }
  now?: () => number
}

export interface RunningServer {
  /** `http://HOST:PORT`, no trailing slash. */
  url: string
  /** Stops accepting, finishes in-flight requests, then closes the database. */
  close(): Promise<void>
  addUser(name: string): Promise<NewUser>
  /** The store, for tests and embedding. */
  store: Store
  /** The read model's projector (absent when turned off). */
  readModel?: Projector
}

/** Opens (and migrates) the database, then listens. */
export const startServer = async (options: ServerOptions = {}): Promise<RunningServer> => {
  const db = options.db ?? DEFAULT_DB
  const backend = await openBackend(db)
  const stored = new KyselyStore(backend)
  const now = options.now ?? Date.now
  let live: LiveHub | undefined
  let app: FastifyInstance | undefined
  let projector: Projector | undefined
  try {
    // Pokes after every commit that added bundles: in memory, or across nodes via Postgres.
    live = await openHub(db, options.listenDb !== undefined ? { listenUrl: options.listenDb } : {})
    let store = withPokes(stored, live)
    if (options.readModel !== false) {
      const settings = options.readModel ?? {}
      const model = new Projector({
        db: backend.db,
        family: backend.family,
        schema: settings.schema,
        ...(settings.pollMs !== undefined && { pollMs: settings.pollMs }),
        ...(settings.measureLag !== undefined && { measureLag: settings.measureLag }),
        onError: (err, space) => app?.log.error({ err, space }, 'read model projection failed'),
      })
      projector = model
      await model.start()
      store = withReadModel(store, model)
    }
    if (options.demo)
      for (const user of DEMO_USERS) await ensureUserWithToken(store, user.name, user.token, now())
    app = await buildApp({
      store,
      live,
      now,
      ...(options.limits && { limits: options.limits }),
      ...(options.logger !== undefined && { logger: options.logger }),
      ...(options.static !== undefined && { static: options.static }),
      ...(options.demo !== undefined && { demo: options.demo }),
      ...(options.rateLimit !== undefined && { rateLimit: options.rateLimit }),
      ...(options.trustProxy !== undefined && { trustProxy: options.trustProxy }),
      ...(options.cors !== undefined && { cors: options.cors }),
      ...(options.jwtIssuers !== undefined && { jwtIssuers: options.jwtIssuers }),
      ...(options.minSchemaVersion !== undefined && {
        minSchemaVersion: options.minSchemaVersion,
      }),
      ...(options.schema !== undefined && { schema: options.schema }),
    })
    live.log = app.log // the hub's rare failures go to the server's structured log
    const schedule =
      options.compaction && scheduleCompaction(store, options.compaction, app.log, now)
    const started = app
    const hub = live
    const host = options.host ?? '127.0.0.1'
    await app.listen({ port: options.port ?? DEFAULT_PORT, host })
    const address = app.server.address()
    const port = typeof address === 'object' && address ? address.port : options.port
    const urlHost = host.includes(':') ? `[${host}]` : host
    let closing: Promise<void> | undefined
    return {
      url: `http://${urlHost}:${port}`,
      store,
      ...(projector && { readModel: projector }),
      addUser: (name) => addUser(store, name, now()),
      close: () => {
        closing ??= (async () => {
          try {
            await schedule?.stop()
            await started.close()
            await projector?.close()
            await hub.close()
          } finally {
            await store.close()
          }
        })()
        return closing
      },
    }
  } catch (err) {
    await app?.close()
    await projector?.close()
    await live?.close()
    await stored.close()
    throw err
  }
}

/** Runs `Store.compact` every `everyMs`, never two at once; `stop` waits for a run under way. */
const scheduleCompaction = (
  store: Store,
  options: { everyMs: number; olderThanMs: number },
  log: FastifyInstance['log'],
  now: () => number,
) => {
  let running: Promise<void> | undefined
  const run = () => {
    if (running) return
    const started = now()
    running = store
      .compact({ olderThan: options.olderThanMs, now: started })
      .then((result) =>
        log.info({ compaction: { ...result, ms: now() - started } }, 'compaction finished'),
      )
      .catch((err: unknown) => log.error({ err }, 'compaction failed'))
      .finally(() => {
        running = undefined
      })
  }
  const timer = setInterval(run, options.everyMs)
  timer.unref()
  return {
    stop: async () => {
      clearInterval(timer)
      await running
    },
  }
}
