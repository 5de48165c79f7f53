import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { hasPostgres as reachable, TEST_POSTGRES_URL } from '../testing/backends.js'
import type { LiveListener } from './hub.js'
import { PostgresHub } from './postgres-hub.js'

const recorder = () => {
  const pokes: string[] = []
  let lost = 0
  const listener: LiveListener = { poke: (cursor) => pokes.push(cursor), lost: () => lost++ }
  return { listener, pokes, lost: () => lost }
}

const sql = async (text: string, values: unknown[] = []): Promise<pg.QueryResult> => {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL })
  await client.connect()
  try {
    return await client.query(text, values)
  } finally {
    await client.end()
  }
}

describe.skipIf(!reachable)('PostgresHub (LISTEN/NOTIFY on a real Postgres)', () => {
  // A channel per test: other test runs on the same database never cross.
  const channel = () => `tidings_test_${randomBytes(4).toString('hex')}`
  const hubs: PostgresHub[] = []
  const open = async (options: { channel: string; applicationName?: string }) => {
    const hub = new PostgresHub({
      url: TEST_POSTGRES_URL,
      retry: { initialMs: 10, maxMs: 50 },
      ...options,
    })
    hubs.push(hub)
    await hub.start()
    return hub
  }
  afterEach(async () => {
    await Promise.all(hubs.splice(0).map((hub) => hub.close()))
  })

  it('carries a poke from one node to the subscribers of every node, its own included', async () => {
    const name = channel()
    const one = await open({ channel: name })
    const two = await open({ channel: name })
    const onOne = recorder()
    const onTwo = recorder()
    const otherStream = recorder()
    one.subscribe('alice', onOne.listener)
    two.subscribe('alice', onTwo.listener)
    two.subscribe('bob', otherStream.listener)
    await one.publish({ stream: 'alice', cursor: '42' })
    await vi.waitFor(() => {
      expect(onTwo.pokes).toEqual(['42'])
      expect(onOne.pokes).toEqual(['42'])
    })
    expect(otherStream.pokes).toEqual([])
  })

  it('ignores foreign notifications on its channel', async () => {
    const name = channel()
    const hub = await open({ channel: name })
    const alice = recorder()
    hub.subscribe('alice', alice.listener)
    await sql('select pg_notify($1, $2)', [name, 'not json'])
    await sql('select pg_notify($1, $2)', [name, JSON.stringify({ s: 'alice', c: 5 })])
    hub.notify('alice', 6)
    // Notifications arrive in order, so once 6 is in, the two before it were dropped.
    await vi.waitFor(() => expect(alice.pokes).toEqual(['6']))
  })

  it('tells subscribers when its LISTEN connection dies, then listens again', async () => {
    const name = channel()
    const applicationName = `tidings-hub-${randomBytes(4).toString('hex')}`
    const hub = await open({ channel: name, applicationName })
    const before = recorder()
    hub.subscribe('alice', before.listener)
    await sql(
      'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
      [applicationName],
    )
    await vi.waitFor(() => expect(before.lost()).toBe(1))
    await vi.waitFor(() => expect(hub.ready).toBe(true))
    const after = recorder()
    hub.subscribe('alice', after.listener)
    await hub.publish({ stream: 'alice', cursor: '9' })
    await vi.waitFor(() => expect(after.pokes).toEqual(['9']))
  })

  it('refuses a channel name that is not a plain identifier', () => {
    expect(
      () => new PostgresHub({ url: TEST_POSTGRES_URL, channel: 'x; drop table users' }),
    ).toThrowError(/identifier/)
  })

  it('fails to start with a clear error when Postgres cannot be reached', async () => {
    const hub = new PostgresHub({ url: 'postgres://postgres@127.0.0.1:1/none', channel: channel() })
    hubs.push(hub)
    await expect(hub.start()).rejects.toMatchObject({ code: 'unavailable' })
  })
})
