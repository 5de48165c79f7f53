import type { ChildProcess } from 'node:child_process'
import { type Bundle, ROUTES } from '@tidings/protocol'
import SqliteDatabase from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addUser } from './auth/users.js'
import { openStore } from './store/kysely-store.js'
import { type TestDatabase, tempSqlite } from './testing/backends.js'
import { exited, startCliServer } from './testing/cli.js'
import { TestClient } from './testing/fixtures.js'

const PUSHERS = 4
const ACKS_BEFORE_KILL = 120

/**
 * The server process is SIGKILLed while clients push; after a restart on the same SQLite file
 * every acknowledged bundle is there, and re-pushing the unacknowledged ones stores each once.
 */
describe('crash: SIGKILL while clients push', () => {
  let database: TestDatabase
  let child: ChildProcess | undefined

  beforeAll(async () => {
    database = await tempSqlite()
  })
  afterAll(async () => {
    child?.kill('SIGKILL')
    await database?.dispose()
  })

  it('keeps every acknowledged bundle and duplicates nothing on re-push', async () => {
    const store = await openStore(database.url)
    const { token } = await addUser(store, 'alice')
    await store.close()
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` }
    // One user's pushers as fast as they go: the per-user rate limit is not under test.
    const first = await startCliServer(['--db', database.url, '--rate-limit', 'off'])
    child = first.child

    const devices = Array.from({ length: PUSHERS }, () => new TestClient())
    const sent: Bundle[] = []
    const acked = new Set<string>()
    let failures = 0
    const push = async (url: string, device: TestClient, bundles: Bundle[]) => {
      const res = await fetch(`${url}${ROUTES.sync}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(device.syncBody(bundles)),
      })
      if (res.status !== 200) throw new Error(`sync answered ${res.status}`)
      return ((await res.json()) as { accepted: string[] }).accepted
    }
    const pusher = async (device: TestClient) => {
      while (failures === 0) {
        const bundle = device.bundle({ count: 5 })
        sent.push(bundle)
        try {
          for (const id of await push(first.url, device, [bundle])) acked.add(id)
        } catch {
          failures++ // the server died under us: this bundle may or may not be stored
        }
        if (acked.size >= ACKS_BEFORE_KILL && child?.signalCode === null) child.kill('SIGKILL')
      }
    }
    await Promise.all(devices.map(pusher))
    await exited(first.child)
    expect(first.child.signalCode).toBe('SIGKILL')
    expect(acked.size).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL)

    const integrity = new SqliteDatabase(database.url.slice('sqlite:'.length))
    expect(integrity.pragma('integrity_check', { simple: true })).toBe('ok')
    integrity.close()

    const second = await startCliServer(['--db', database.url])
    child = second.child
    const ids = async () => {
      const res = await fetch(`${second.url}${ROUTES.bundleIds}`, { headers })
      return ((await res.json()) as { ids: string[] }).ids
    }
    const survived = new Set(await ids())
    expect([...acked].filter((id) => !survived.has(id))).toEqual([])

    // Re-push everything ever sent (acknowledged or not), per device as its outbox would.
    for (const device of devices) {
      const outbox = sent.filter((b) => b.client === device.id)
      expect(await push(second.url, device, outbox)).toEqual(outbox.map((b) => b.id))
    }
    const after = await ids()
    expect(after.length).toBe(new Set(after).size)
    expect(new Set(after)).toEqual(new Set(sent.map((b) => b.id)))
    second.child.kill('SIGTERM')
    await exited(second.child)
  })
})
