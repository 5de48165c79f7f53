import { describe, expect, it } from 'vitest'
import { compileFetch } from '../api/query.js'
import { internals, memoryClient } from '../test/fixtures.js'
import * as Q from './sql.js'
import { tableName } from './typed.js'

/**
 * A sync that brings one new event must cost O(new), not O(history): every statement on the
 * push and apply paths reaches its rows through an index. SQLite's EXPLAIN QUERY PLAN says
 * `SEARCH … USING (INTEGER PRIMARY KEY | [COVERING] INDEX …)` for that and `SCAN` for a full
 * table scan. (Plain inserts and upserts have no plan rows: their conflict checks are unique
 * index probes by construction. `verify()` compares whole id sets by design and is not here.)
 */
describe('query plans of the sync and apply paths', () => {
  it('touch only indexed rows', async () => {
    const client = await memoryClient()
    const store = internals(client).store
    await client.create('document', { author: 'a', title: 'b' })
    const plan = (sql: string, params: unknown[]) =>
      store.sql
        .all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, params)
        .map((r) => r.detail)
        .join('; ')
    const statements: Array<[string, string, unknown[]]> = [
      ['load a bundle', Q.BUNDLE_BY_ID, ['x']],
      ['load its events in order', Q.BUNDLE_EVENTS, ['x']],
      ['and those it found logged', Q.BUNDLE_KNOWN_EVENTS, ['x']],
      ['next outbox page', Q.OUTBOX_PAGE, [0, 10]],
      ['dequeue an acknowledged bundle', Q.DEQUEUE_OUTBOX, ['x']],
      ['mark it acknowledged', Q.ACKNOWLEDGE_BUNDLE, ['x']],
      ['read sync state', Q.GET_STATE, ['cursor']],
      ['read one typed row', `SELECT * FROM ${tableName('document')} WHERE id = ?`, ['x']],
      // A contested register reads both events' (hlc, id) from the log by `seq`.
      ['move a contested register', Q.UPSERT_ATTRIBUTE, ['document', 'x', 'title', 1]],
      ['move the registers of a logged block', Q.UPSERT_ATTRIBUTES_FROM_LOG, [1, 64]],
    ]
    const plans: string[] = []
    for (const [what, sql, params] of statements) {
      const p = plan(sql, params)
      plans.push(`${what}: ${p}`)
      expect(p, what).toMatch(/SEARCH/)
      expect(p, what).not.toMatch(/\bSCAN\b/)
      expect(p, what).not.toMatch(/TEMP B-TREE/)
    }
    const fetch = compileFetch(store.kysely, 'document', store.schema.shape('document'), {
      where: { author: 'a' },
      orderBy: { title: 'asc' },
      limit: 50,
    })
    const fetchPlan = plan(fetch.sql, [...fetch.parameters])
    expect(fetchPlan).toMatch(/USING INDEX t_document_(author|title)/)
    plans.push(`fetch by author sorted by title: ${fetchPlan}`)
    console.info(plans.join('\n'))
  })
})
