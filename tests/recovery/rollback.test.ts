import { copyFileSync, existsSync, rmSync } from 'node:fs'
import path from 'node:path'
import { defineSchema, openClient, t } from '@tidings/client'
import { openNodeDatabase } from '@tidings/client/node'
import { parseHlc } from '@tidings/protocol'
import { type RunningServer, startServer } from '@tidings/server'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '../support/databases.js'

/**
 * Invariant 7, the device's side: a device whose own database went back in time (a power cut
 * under `synchronous=NORMAL`, a restored backup) lost writes the server had acknowledged. Its
 * first sync after opening asks where the server has it (`resume`): it gets its own lost
 * bundles back and never issues again an HLC the server already holds for another event.
 */
const schema = defineSchema({ note: { title: t.string() } })

/** The HLC of the winning `title` of a note, from the client's registers (test only). */
const titleHlc = (client: unknown, id: string): string => {
  const { store } = client as { store: { sql: { one<R>(sql: string, p: unknown[]): R } } }
  return store.sql.one<{ hlc: string }>(
    "SELECT e.hlc FROM attributes a JOIN events e ON e.seq = a.seq WHERE a.entity = ? AND a.attribute = 'title'",
    [id],
  ).hlc
}

describe('a device whose database rolled back', () => {
  let server: RunningServer | null = null
  let dir: { dir: string; remove(): void } | null = null
  afterEach(async () => {
    await server?.close()
    dir?.remove()
  })

  it('gets its acknowledged writes back and never reissues their HLCs', async () => {
    dir = tempDir('rollback')
    server = await startServer({ db: 'memory', port: 0, logger: false })
    const user = await server.addUser('ada')
    const file = path.join(dir.dir, 'device.db')
    const copy = path.join(dir.dir, 'copy.db')
    let now = Date.parse('2026-12-01T10:00:00.000Z')
    const open = () =>
      openClient({
        schema,
        database: openNodeDatabase(file),
        server: { url: server!.url, token: user.token, backoffMs: 5 },
        now: () => now,
      })

    let device = await open()
    await device.create('note', { title: 'kept' })
    await device.sync()
    await device.close()
    copyFileSync(file, copy) // closed, so the file holds everything (no WAL left)

    device = await open()
    now += 60_000
    const lost = await device.create('note', { title: 'acknowledged, then lost' })
    expect((await device.sync()).pushed).toBe(1)
    await device.close()

    for (const suffix of ['-wal', '-shm']) if (existsSync(file + suffix)) rmSync(file + suffix)
    copyFileSync(copy, file)
    device = await open() // the clock reads the lost write's millisecond again
    expect(await device.get('note', lost.id)).toBeNull()

    const result = await device.sync()
    expect(await device.get('note', lost.id)).toMatchObject({ title: 'acknowledged, then lost' })
    expect(result.recovered).toMatchObject({ reason: 'device_rolled_back' })
    // It came back once: in the page (its old cursor precedes it, and a page leaves out only the
    // bundles its request carried) or, failing that, fetched by the recovery.
    expect(result.pulled + (result.recovered?.missingLocally ?? 0)).toBe(1)

    // The clock still reads the lost write's millisecond: without the server's word this
    // write would take the lost write's very HLC (invariant 2).
    const next = await device.create('note', { title: 'written after' })
    expect((await device.sync()).pushed).toBe(1)
    const lostHlc = titleHlc(device, lost.id)
    const nextHlc = titleHlc(device, next.id)
    expect(parseHlc(nextHlc).ms).toBe(parseHlc(lostHlc).ms)
    expect(nextHlc > lostHlc).toBe(true)
    await device.close()
  })
  // Found by the simulation (tests/sim, `restamp-conflict-after-rollback`, seed 63): a bundle
  // stamped by a clock 3 h ahead is refused as drift, re-stamped and stored; the device rolls
  // back to before that re-stamp and re-stamps it again (other HLCs, same ids). The server
  // refuses that as `conflict`; the device takes the server's version instead of keeping its own.
  it('takes the server’s stamps of a bundle it re-stamped again after rolling back past the first re-stamp', async () => {
    dir = tempDir('rollback-restamp')
    server = await startServer({ db: 'memory', port: 0, logger: false })
    const user = await server.addUser('ada')
    const file = path.join(dir.dir, 'device.db')
    const copy = path.join(dir.dir, 'copy.db')
    const open = (database = file) =>
      openClient({
        schema,
        database: openNodeDatabase(database),
        server: { url: server!.url, token: user.token, backoffMs: 5 },
        now: () => Date.now() + 3 * 3_600_000,
      })

    let device = await open()
    const note = await device.create('note', { title: 'stamped ahead' })
    await device.close()
    copyFileSync(file, copy) // the write, with its first stamps, never synced

    device = await open()
    expect(await device.sync()).toMatchObject({ pushed: 1 })
    const stored = titleHlc(device, note.id)
    await device.close()

    for (const suffix of ['-wal', '-shm']) if (existsSync(file + suffix)) rmSync(file + suffix)
    copyFileSync(copy, file)
    await new Promise((resolve) => setTimeout(resolve, 5)) // the next re-stamp takes other HLCs
    device = await open()
    await device.sync()
    expect(device.status).toMatchObject({ pending: 0, rejected: 0 })
    expect(titleHlc(device, note.id)).toBe(stored)

    const other = await open(path.join(dir.dir, 'other.db'))
    await other.sync()
    expect((other as unknown as { store: { dump(): unknown } }).store.dump()).toEqual(
      (device as unknown as { store: { dump(): unknown } }).store.dump(),
    )
    await other.close()
    await device.close()
  })
  // Found by the simulation (tests/sim, `hlc-reissued-after-rollback`, seed 5263): the clock
  // stands still, so writes count up one millisecond's counter. The device rolls back to a copy
  // holding the first of two pushed writes and writes again before syncing: that write takes
  // the lost one's HLC. The server's `own` answer tells it so; it is stamped again before it goes.
  it('stamps again, above the server’s, a write made after the rollback and before the first sync', async () => {
    dir = tempDir('rollback-reissue')
    server = await startServer({ db: 'memory', port: 0, logger: false })
    const user = await server.addUser('ada')
    const file = path.join(dir.dir, 'device.db')
    const copy = path.join(dir.dir, 'copy.db')
    const now = Date.now()
    const open = (database = file) =>
      openClient({
        schema,
        database: openNodeDatabase(database),
        server: { url: server!.url, token: user.token, backoffMs: 5 },
        now: () => now,
      })

    let device = await open()
    await device.create('note', { title: 'first' })
    await device.close()
    copyFileSync(file, copy)
    device = await open()
    const lost = await device.create('note', { title: 'acknowledged, then lost' })
    expect((await device.sync()).pushed).toBe(2)
    await device.close()

    for (const suffix of ['-wal', '-shm']) if (existsSync(file + suffix)) rmSync(file + suffix)
    copyFileSync(copy, file)
    device = await open()
    const after = await device.create('note', { title: 'written after the rollback' })
    const result = await device.sync()
    expect(result.recovered).toMatchObject({ reason: 'device_rolled_back' })
    expect(device.status).toMatchObject({ pending: 0, rejected: 0 })
    expect(titleHlc(device, after.id) > titleHlc(device, lost.id)).toBe(true)

    const other = await open(path.join(dir.dir, 'other.db'))
    await other.sync()
    const { store } = other as unknown as {
      store: { sql: { all<R>(sql: string): R[] }; dump(): unknown }
    }
    const stamps = store.sql.all<{ hlc: string }>('SELECT hlc FROM events').map((r) => r.hlc)
    expect(stamps).toHaveLength(3)
    expect(new Set(stamps).size).toBe(3) // invariant 2: one HLC, one event
    expect(store.dump()).toEqual((device as unknown as { store: { dump(): unknown } }).store.dump())
    await other.close()
    await device.close()
  })
})
