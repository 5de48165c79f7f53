import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { migrationProvider } from '../src/store/migrations/index.js'
import { Migrator } from 'kysely'
import { KyselyStore } from '../src/store/kysely-store.js'
import { freshPostgres } from '../src/testing/backends.js'
import { TestClient } from '../src/testing/fixtures.js'
const fresh = await freshPostgres()
const times = new Map<string, number[]>()
const pool = new pg.Pool({ connectionString: fresh.url, max: 20 })
// biome-ignore lint/suspicious/noExplicitAny: debug
const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }), log: (e) => { const k = e.query.sql.slice(0, 40); const a = times.get(k) ?? []; a.push(e.queryDurationMillis); times.set(k, a) } })
await new Migrator({ db, provider: migrationProvider('postgres') }).migrateToLatest()
const store = new KyselyStore({ family: 'postgres', db, description: 'x' })
const d = new TestClient()
times.clear()
const t = performance.now()
for (let i = 0; i < 200; i++) await store.push({ stream: 's', bundles: [d.bundle({ count: 5, value: 'x'.repeat(300) })], now: Date.now() })
console.log('sequential push ms', (performance.now() - t) / 200)
for (const [k, a] of times) console.log(k.padEnd(42), (a.reduce((x, y) => x + y, 0) / a.length).toFixed(2), a.length)
const t2 = performance.now()
await pool.query('create table raw (id bigserial primary key, body text)')
for (let i = 0; i < 200; i++) await pool.query('insert into raw (body) values ($1)', ['y'.repeat(2048)])
console.log('sequential raw ms', (performance.now() - t2) / 200)
await db.destroy()
await fresh.dispose()
