import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openClient } from '../api/client.js'
import { openNodeDatabase } from '../node.js'
import { internals, librarySchema, manualClock } from '../test/fixtures.js'

const dir = mkdtempSync(join(tmpdir(), 'tidings-restart-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('restart', () => {
  it('keeps the client id, the data and an HLC that never goes back, even if the wall clock does', async () => {
    const path = join(dir, 'device.db')
    const clock = manualClock()
    const first = await openClient({
      schema: librarySchema,
      database: openNodeDatabase(path),
      now: clock.now,
    })
    const doc = await first.create('document', { author: 'a', title: 'before' })
    const store = internals(first).store
    const lastBefore = store.bundle(store.bundleIds()[0]!)!.hlc
    const id = first.clientId
    await first.close()

    clock.advance(-3_600_000) // the device clock was set back an hour
    const second = await openClient({
      schema: librarySchema,
      database: openNodeDatabase(path),
      now: clock.now,
    })
    expect(second.clientId).toBe(id)
    expect(await second.get('document', doc.id)).toEqual(doc)
    expect(second.status.pending).toBe(1)
    await second.update('document', doc.id, { title: 'after' })
    const s2 = internals(second).store
    const newest = s2
      .bundleIds()
      .map((b) => s2.bundle(b)!.hlc)
      .sort()
      .at(-1)!
    expect(newest > lastBefore).toBe(true)
    await second.close()
  })

  it('starts the pull cursor over when the database is opened for another account', async () => {
    const path = join(dir, 'account.db')
    const open = (token: string) =>
      openClient({
        schema: librarySchema,
        database: openNodeDatabase(path),
        server: { url: 'http://127.0.0.1:1', token },
      })
    const first = await open('token-of-ada')
    internals(first).store.setState('cursor', '42')
    await first.close()
    const same = await open('token-of-ada')
    expect(internals(same).store.getState('cursor')).toBe('42')
    await same.close()
    const other = await open('token-of-bea')
    expect(internals(other).store.getState('cursor')).toBeUndefined()
    await other.close()
  })
})
