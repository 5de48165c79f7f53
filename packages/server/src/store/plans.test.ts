import { newId } from '@tidings/protocol'
import { CompiledQuery, type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshPostgres, hasPostgres, type TestDatabase } from '../testing/backends.js'
import { TestClient } from '../testing/fixtures.js'
import type { Backend } from './dialects/family.js'
import { openBackend } from './open.js'
import { pageQuery } from './pull.js'
import { dedupe, giveBackQuery, reserveQuery, storedQueries } from './push-plan.js'
import type { Database } from './schema.js'

const STORED_BUNDLES = 100
const EVENTS_PER_BUNDLE = 500

/** The tables that grow with history, and their indexes. */
const HISTORY = ['events', 'bundles']
const HISTORY_INDEXES = ['events_pk', 'bundles_pk', 'bundles_stream_id', 'bundles_page']

interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  'Index Name'?: string
  'Index Cond'?: string
  Plans?: PlanNode[]
}

/** The nodes that read a table or an index. */
const scans = (node: PlanNode): PlanNode[] => [
  ...(node['Relation Name'] || node['Index Name'] ? [node] : []),
  ...(node.Plans ?? []).flatMap(scans),
]

const where = hasPostgres ? 'real Postgres' : 'PGlite (Postgres not reachable)'
console.info(`server query plans: on ${where}`)

/**
 * A push must cost O(new), not O(history): every statement of the push and the sync's pull
 * reaches events and bundles through an index probe on the stream AND a row key (id or seq).
 * The table is seeded with 50,000 events of one stream and never analyzed, as a stream grows
 * between autovacuum's analyzes: that is when `id IN (…)` was planned as a bitmap scan of the
 * whole stream (Index Cond on `stream` only), and pushes slowed to ~500 events/s at 850k events.
 */
describe(`query plans of push and pull on ${where}`, () => {
  let database: TestDatabase | undefined
  let backend: Backend
  let db: Kysely<Database>
  const stream = newId()
  const device = new TestClient()

  beforeAll(async () => {
    database = hasPostgres ? await freshPostgres() : undefined
    backend = await openBackend(database?.url ?? 'pglite:memory')
    db = backend.db
    await db.insertInto('streams').values({ stream, last_seq: STORED_BUNDLES }).execute()
    await sql`insert into bundles (stream, seq, id, client, hlc, events, event_count, hash, received_at)
      select ${stream}, g, md5(g::text), ${device.id}, ${device.clock.send()}, '[]', ${EVENTS_PER_BUNDLE}, md5(g::text), 0
        from generate_series(1, ${STORED_BUNDLES}::int) g`.execute(db)
    await sql`insert into events (stream, id, bundle_id, hash)
      select ${stream}, md5(g::text), md5((g / ${EVENTS_PER_BUNDLE})::text), md5(g::text)
        from generate_series(1, ${STORED_BUNDLES * EVENTS_PER_BUNDLE}::int) g`.execute(db)
  }, 120_000)
  afterAll(async () => {
    await backend?.db.destroy()
    await database?.dispose()
  })

  const plan = async (query: CompiledQuery): Promise<PlanNode> => {
    const explained = CompiledQuery.raw(`explain (format json) ${query.sql}`, [...query.parameters])
    const [row] = (await db.executeQuery<{ 'QUERY PLAN': unknown }>(explained)).rows
    const json = row?.['QUERY PLAN']
    const parsed = (typeof json === 'string' ? JSON.parse(json) : json) as Array<{ Plan: PlanNode }>
    return (parsed[0] as { Plan: PlanNode }).Plan
  }

  it('look up stored ids, reserve positions and pull a page by index probes only', async () => {
    const bundle = device.bundle({ count: 1_000 })
    const statements: Array<[string, CompiledQuery]> = [
      ['bump the stream counter', reserveQuery(db, stream, 1).compile()],
      ...storedQueries(db, 'postgres', stream, dedupe([bundle])).map(
        (q): [string, CompiledQuery] => ['stored bundle and event ids', q.compile()],
      ),
      ['give back unused positions', giveBackQuery(db, stream, STORED_BUNDLES).compile()],
      [
        'pull after the cursor',
        pageQuery({ stream, after: STORED_BUNDLES - 2, limit: 100, maxEvents: 10_000 }).compile(db),
      ],
      [
        'pull from the beginning, less the bundles a push carried',
        pageQuery({
          stream,
          after: 0,
          limit: 100,
          maxEvents: 10_000,
          exclude: [newId(), newId()],
        }).compile(db),
      ],
    ]
    const report: string[] = []
    for (const [what, query] of statements) {
      const nodes = scans(await plan(query))
      report.push(
        `${what}: ${nodes.map((n) => `${n['Node Type']} on ${n['Relation Name']} using ${n['Index Name'] ?? '-'} (${n['Index Cond'] ?? ''})`).join('; ')}`,
      )
      expect(nodes.length, what).toBeGreaterThan(0)
      for (const node of nodes.filter((n) => HISTORY.includes(n['Relation Name'] ?? '')))
        expect(node['Node Type'], what).toMatch(/^(Index Scan|Index Only Scan|Bitmap Heap Scan)$/)
      for (const node of nodes.filter((n) => HISTORY_INDEXES.includes(n['Index Name'] ?? ''))) {
        // The stream alone is no probe: one stream holds a user's whole history.
        expect(node['Index Cond'], what).toMatch(/\bstream\b/)
        expect(node['Index Cond'], what).toMatch(/\b(id|seq)\b/)
      }
    }
    console.info(report.join('\n'))
  })
})
