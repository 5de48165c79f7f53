import { DEFAULT_LIMITS, formatHlc, newId, parseHlc, ROUTES } from '@tidings/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { validBundle, validSync } from '../fuzz/samples.js'
import { type TempDatabase, tempSqlite } from '../support/databases.js'
import { Prng, seedFrom } from '../support/prng.js'
import { eventsOf, registerWinners } from '../support/reference-model.js'
import { addUser, type ServerProcess, spawnServer, type User } from '../support/server-process.js'
import { bundleIds, call, pullAll } from '../support/wire.js'
import {
  type ChaosClient,
  fullDump,
  localEvents,
  modelDiff,
  openReplica,
  randomWrite,
} from './replicas.js'

const HOUR = 3_600_000
const SEED = seedFrom(process.env.TIDINGS_SEED)

/**
 * Clock abuse (DESIGN.md §3): devices whose wall clocks are hours off, and one whose clock
 * jumps backwards, still converge; the server's drift limit refuses timestamps from the future.
 */
describe(`clock abuse (seed ${SEED})`, () => {
  let db: TempDatabase
  let server: ServerProcess
  let user: User
  const clients: Record<string, ChaosClient> = {}
  let jump = 0

  beforeAll(async () => {
    db = tempSqlite()
    user = await addUser(db.url, 'clocks')
    server = await spawnServer({ db: db.url, env: { LOG_LEVEL: 'warn' } })
    const clocks: Record<string, () => number> = {
      normal: () => Date.now(),
      fast: () => Date.now() + 3 * HOUR,
      slow: () => Date.now() - 3 * HOUR,
      jumper: () => Date.now() + jump,
    }
    for (const [name, now] of Object.entries(clocks))
      clients[name] = await openReplica({ url: server.url, token: user.token, now })
  })

  afterAll(async () => {
    for (const client of Object.values(clients)) await client.close().catch(() => undefined)
    await server?.stop()
    await db?.drop()
  })

  it('holds the drift limit on the wire: an HLC beyond maxDrift is refused, one within it stored', async () => {
    const client = newId()
    const limit = DEFAULT_LIMITS.maxDriftMs
    const ahead = {
      ...validSync(client),
      bundles: [validBundle(client, Date.now() + limit + 60_000)],
    }
    const refused = await call(server.url, ROUTES.sync, { token: user.token, json: ahead })
    expect(refused.status).toBe(422)
    expect((refused.body as { error: { code: string } }).error.code).toBe('clock_drift')
    const within = {
      ...validSync(client),
      bundles: [validBundle(client, Date.now() + limit - 60_000)],
    }
    expect((await call(server.url, ROUTES.sync, { token: user.token, json: within })).status).toBe(
      200,
    )
    const ids = await bundleIds(server.url, user.token)
    expect(ids).toContain(within.bundles[0]?.id)
    expect(ids).not.toContain(ahead.bundles[0]?.id)
  })

  it('re-stamps the bundles a fast device stamped before it ever synced: stored at the server’s time, none stuck', async () => {
    const early = await openReplica({
      url: server.url,
      token: user.token,
      now: () => Date.now() + 3 * HOUR,
    })
    try {
      await early.create('note', { title: 'from the future' })
      await early.create('note', { title: 'also from the future' })
      await early.sync()
      expect(early.status.pending).toBe(0)
      const stored = eventsOf(await pullAll(server.url, user.token))
      const storedIds = new Set(stored.map((e) => e.id))
      // Every event went, under its own id, with a stamp the drift limit allows.
      const own = localEvents(early, true)
      expect(own.filter((e) => !storedIds.has(e.id))).toEqual([])
      const latest = Math.max(...stored.map((e) => parseHlc(e.hlc).ms))
      expect(latest).toBeLessThanOrEqual(Date.now() + DEFAULT_LIMITS.maxDriftMs)
      // And it holds what the server holds, with the server's stamps for its own events.
      const local = new Map(localEvents(early).map((e) => [e.id, e.hlc]))
      for (const e of stored) expect(local.get(e.id)).toBe(e.hlc)
    } finally {
      await early.close()
    }
  })

  it('a device whose clock is set right after it learnt a 2-hour offset keeps syncing, at the server’s time', async () => {
    let wrong = -2 * HOUR
    const device = await openReplica({
      url: server.url,
      token: user.token,
      now: () => Date.now() + wrong,
      monotonic: () => performance.now(),
    })
    try {
      await device.sync()
      wrong = 0 // the OS puts the clock right
      await device.create('note', { title: 'after the fix' })
      await device.sync()
      expect(device.status.pending).toBe(0)
      // Not 2 hours ahead; at most as far ahead as the HLCs it received (an earlier test stored
      // one 4 minutes ahead), which the drift limit bounds.
      const own = localEvents(device, true)
      expect(own.length).toBeGreaterThan(0)
      for (const e of own)
        expect(parseHlc(e.hlc).ms).toBeLessThanOrEqual(Date.now() + DEFAULT_LIMITS.maxDriftMs)
    } finally {
      await device.close()
    }
  })

  it('devices hours fast or slow, and one jumping back, converge once they have synced', async () => {
    const prng = new Prng(SEED)
    // The first sync teaches every device its offset from the server's clock.
    for (const client of Object.values(clients)) await client.sync()
    const pool = Array.from({ length: 4 }, () => newId())
    const all = Object.values(clients)
    for (let step = 0; step < 60; step++) {
      if (step === 30) jump = -2 * HOUR
      const client = prng.pick(all)
      if (prng.chance(0.3)) await client.sync()
      else await randomWrite(client, prng, pool)
    }
    for (let round = 0; round < 3; round++) for (const client of all) await client.sync()

    const onServer = eventsOf(await pullAll(server.url, user.token))
    const winners = registerWinners(onServer)
    const dumps = all.map(fullDump)
    for (const [i, client] of all.entries()) {
      expect(client.status.pending).toBe(0)
      expect(dumps[i]).toBe(dumps[0])
      expect(modelDiff(client, winners)).toEqual([])
    }
    // No stored timestamp lives beyond the drift limit: the fast device was corrected.
    const latest = Math.max(...onServer.map((e) => parseHlc(e.hlc).ms))
    expect(latest).toBeLessThanOrEqual(Date.now() + DEFAULT_LIMITS.maxDriftMs)
  })

  it('a write made after syncing beats an older one, whatever the device clock says', async () => {
    const { normal, slow, jumper } = clients as Record<string, ChaosClient>
    const note = await normal!.create('note', { title: 'first' })
    await normal!.sync()
    for (const [writer, title] of [
      [slow!, 'slow wins'],
      [jumper!, 'jumper wins'],
    ] as const) {
      await writer.sync()
      await writer.update('note', note.id, { title })
      await writer.sync()
      await normal!.sync()
      expect((await normal!.get('note', note.id))?.title).toBe(title)
    }
    // Sanity: the jumper's clock really is behind the normal one now.
    expect(jump).toBe(-2 * HOUR)
    expect(
      formatHlc({ ms: Date.now() + jump, counter: 0, node: jumper!.clientId }) <
        formatHlc({ ms: Date.now(), counter: 0, node: jumper!.clientId }),
    ).toBe(true)
  })
})
