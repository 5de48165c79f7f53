/**
 * Push cost as a Postgres stream grows (issue: pushes slowed past 850k stored events): seeds
 * `--stored` events with one INSERT … SELECT generate_series, then times `store.sync` of
 * bundles of 1,000 events (cursor at the head, and `cursor: null`) and prints EXPLAIN ANALYZE
 * of every push and pull statement. Not a test: numbers depend on the machine.
 *
 *   node --import tsx --conditions=@tidings/source packages/server/scripts/push-growth.ts [--stored 300000]
 */
import { parseArgs } from 'node:util'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { openStore } from '../src/store/kysely-store.js'
import { pageQuery } from '../src/store/pull.js'
import { dedupe, storedQueries } from '../src/store/push-plan.js'
import type { Database } from '../src/store/schema.js'
import { freshPostgres } from '../src/testing/backends.js'
import { TestClient } from '../src/testing/fixtures.js'

const { values } = parseArgs({
  options: {
    stored: { type: 'string', default: '300000' },
    pushes: { type: 'string', default: '20' },
  },
})
const PER_BUNDLE = 1_000
const stored = Number(values.stored)
const seedBundles = Math.ceil(stored / PER_BUNDLE)
const database = await freshPostgres()
const store = await openStore(database.url)
const admin = new pg.Client({ connectionString: database.url })
await admin.connect()
const kysely = new Kysely<Database>({
  dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 1 }) }),
})
try {
  const user = newUser()
  await store.createUser({ ...user, now: Date.now() })
  const device = new TestClient()
  const seedEvent = JSON.stringify([device.event()])
  const started = performance.now()
  await admin.query(
    `insert into bundles (stream, seq, id, client, hlc, events, event_count, hash, received_at)
     select $1, g, gen_random_uuid()::text, $2, $3, $4, ${PER_BUNDLE}, md5(g::text), 0
       from generate_series(1, $5::int) g`,
    [user.id, device.id, device.clock.send(), seedEvent, seedBundles],
  )
  await admin.query(
    `insert into events (stream, id, bundle_id, hash)
     select $1, gen_random_uuid()::text, 'seed', md5(g::text) from generate_series(1, $2::int) g`,
    [user.id, seedBundles * PER_BUNDLE],
  )
  await admin.query('update streams set last_seq = $2 where stream = $1', [user.id, seedBundles])
  if (process.env.ANALYZE !== '0') await admin.query('analyze')
  console.log(
    `seeded ${seedBundles * PER_BUNDLE} events in ${Math.round(performance.now() - started)} ms`,
  )
  const probe = device.bundle({ count: PER_BUNDLE })
  const statements = [
    ...storedQueries(kysely, 'postgres', user.id, dedupe([probe])).map((q) => q.compile()),
    pageQuery({
      stream: user.id,
      after: seedBundles - 5,
      limit: 100,
      maxEvents: 10_000,
      exclude: [probe.id],
    }).compile(kysely),
    pageQuery({
      stream: user.id,
      after: 0,
      limit: 100,
      maxEvents: 10_000,
      exclude: [probe.id],
    }).compile(kysely),
  ]
  for (const { sql, parameters } of statements) {
    const plan = await admin.query(`explain analyze ${sql}`, [...parameters])
    console.log(
      `${sql.slice(0, 60).replace(/\s+/g, ' ')}…\n  ${plan.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n  ')}`,
    )
  }
  for (const cursorMode of ['head', 'null'] as const) {
    let cursor = seedBundles
    const t0 = performance.now()
    const pushes = Number(values.pushes)
    for (let i = 0; i < pushes; i++) {
      const bundle = device.bundle({ count: PER_BUNDLE })
      const { pushed, page } = await store.sync(
        { stream: user.id, bundles: [bundle], now: Date.now() },
        {
          stream: user.id,
          after: cursorMode === 'head' ? cursor : 0,
          limit: 100,
          maxEvents: 10_000,
          exclude: [bundle.id],
        },
      )
      cursor = cursorMode === 'head' ? page.cursor : pushed.head
    }
    const ms = performance.now() - t0
    console.log(
      `cursor=${cursorMode}: ${Math.round((pushes * PER_BUNDLE) / (ms / 1000))} events/s (${(ms / pushes).toFixed(1)} ms per 1,000-event push)`,
    )
  }
} finally {
  await admin.end()
  await kysely.destroy()
  await store.close()
  await database.dispose()
}

function newUser() {
  const id = crypto.randomUUID()
  return { id, name: `perf-${id.slice(0, 8)}`, tokenHash: id }
}
