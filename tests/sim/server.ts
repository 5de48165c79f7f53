import { newId } from '@tidings/protocol'
import { hashToken } from '@tidings/server'
import Database from 'better-sqlite3'
import type { FastifyInstance } from 'fastify'
import { Kysely, Migrator, SqliteDialect } from 'kysely'
import { buildApp } from '../../packages/server/src/http/app.js'
import { cachingStatements } from '../../packages/server/src/store/dialects/statement-cache.js'
import { KyselyStore } from '../../packages/server/src/store/kysely-store.js'
import { migrationProvider } from '../../packages/server/src/store/migrations/index.js'
import type { Database as Schema } from '../../packages/server/src/store/schema.js'

/** A request as the simulated network carries it. */
export interface SimRequest {
  method: string
  url: string
  headers: Record<string, string>
  body: string | undefined
}

/** An answer as the simulated network carries it back. */
export interface SimAnswer {
  status: number
  headers: Record<string, string>
  body: string
}

/** A bundle as the server stores it, read straight from its tables for the checks. */
export interface StoredBundle {
  id: string
  client: string
  /** The space (stream) it was stored in: a user id for a private space. */
  stream: string
  hlc: string
  events: Array<{
    id: string
    type: string
    entity: string
    attribute: string
    hlc: string
    value: unknown
  }>
}

/**
 * A bug planted in the server by the harness's own tests (planted.test.ts): rewrites what a
 * request asks or what its answer says. The real server never has one.
 */
export interface Plant {
  request?(request: SimRequest): SimRequest
  answer?(request: SimRequest, answer: SimAnswer): SimAnswer
}

/**
 * The real server (`buildApp` over the real `KyselyStore`) on an in-memory SQLite database,
 * called in process through Fastify's `inject`. A crash closes it without a word; the
 * database survives as the image SQLite serializes (what a disk would keep: every commit).
 * Backups are images too, so a restore is exact and instant.
 */
export class SimServer {
  private sqlite: Database.Database | null = null
  private app: FastifyInstance | null = null
  private store: KyselyStore | null = null
  /** The database while the server is down (crashed, not yet restarted). */
  private image: Buffer | null = null
  plant: Plant | null = null

  constructor(private readonly now: () => number) {}

  get up(): boolean {
    return this.app !== null
  }

  /** Starts on a fresh database (migrated) or on `image`. */
  async start(image: Buffer | null = this.image): Promise<void> {
    if (this.app) throw new Error('sim: the server is already up')
    const sqlite = new Database(image ?? (await freshDatabase()))
    sqlite.pragma('foreign_keys = ON')
    const db = new Kysely<Schema>({
      dialect: new SqliteDialect({ database: cachingStatements(sqlite) }),
    })
    this.sqlite = sqlite
    this.store = new KyselyStore({ family: 'sqlite', db, description: 'sim' })
    this.app = await buildApp({ store: this.store, now: this.now, rateLimit: false })
    this.image = null
  }

  /** A user with a fixed token; returns its id (its private space's id too). */
  async addUser(name: string, token: string): Promise<string> {
    const id = newId()
    await this.running().store.createUser({
      id,
      name,
      tokenHash: hashToken(token),
      now: this.now(),
    })
    return id
  }

  /** The database as a backup would hold it now. */
  backup(): Buffer {
    return this.sqlite ? this.sqlite.serialize() : (this.image as Buffer)
  }

  /** The process dies: nothing in memory survives, every commit does. */
  async crash(): Promise<void> {
    const { app, sqlite } = this.running()
    this.image = sqlite.serialize()
    this.app = null
    this.store = null
    this.sqlite = null
    await app.close()
    sqlite.close()
  }

  /** The operator restores a backup: the server restarts on it. */
  async restore(backup: Buffer): Promise<void> {
    if (this.up) await this.crash()
    await this.start(backup)
  }

  async handle(asked: SimRequest): Promise<SimAnswer> {
    const request = this.plant?.request ? this.plant.request(asked) : asked
    const res = await this.running().app.inject({
      method: request.method as 'GET' | 'POST',
      url: request.url,
      headers: request.headers,
      ...(request.body !== undefined && { payload: request.body }),
    })
    const headers: Record<string, string> = {}
    for (const [key, value] of Object.entries(res.headers))
      if (typeof value === 'string') headers[key] = value
    const answer = { status: res.statusCode, headers, body: res.body }
    return this.plant?.answer ? this.plant.answer(request, answer) : answer
  }

  /** Every bundle stored, in commit order per stream (from the database, up or down). */
  bundles(): StoredBundle[] {
    const sqlite = this.sqlite ?? new Database(this.image as Buffer)
    const rows = sqlite
      .prepare('SELECT id, client, stream, hlc, events FROM bundles ORDER BY stream, seq')
      .all() as Array<{ id: string; client: string; stream: string; hlc: string; events: string }>
    if (sqlite !== this.sqlite) sqlite.close()
    return rows.map((r) => ({ ...r, events: JSON.parse(r.events) }))
  }

  async close(): Promise<void> {
    if (this.up) await this.crash()
    this.image = null
  }

  private running() {
    if (!this.app || !this.sqlite || !this.store) throw new Error('sim: the server is down')
    return { app: this.app, sqlite: this.sqlite, store: this.store }
  }
}

let fresh: Promise<Buffer> | null = null

/**
 * The image of a freshly migrated server database, made once per process: migrating costs
 * more than the rest of a schedule's server start, and every schedule starts from the same.
 */
export const freshDatabase = (): Promise<Buffer> => {
  fresh ??= (async () => {
    const sqlite = new Database(':memory:')
    const db = new Kysely<Schema>({
      dialect: new SqliteDialect({ database: cachingStatements(sqlite) }),
    })
    const { error } = await new Migrator({
      db,
      provider: migrationProvider('sqlite'),
    }).migrateToLatest()
    if (error) throw error
    const image = sqlite.serialize()
    await db.destroy()
    return image
  })()
  return fresh
}
