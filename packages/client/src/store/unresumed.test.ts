import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { formatHlc, type Hlc } from '@tidings/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { openNodeDatabase } from '../node.js'
import { librarySchema } from '../test/fixtures.js'
import { restampAtOrBelow } from './restamp.js'
import { Store } from './store.js'
import { clearUnresumed, unresumedAfter } from './unresumed.js'

const T = Date.parse('2026-12-01T10:00:00.000Z')

/** The HLC of each local bundle, by id. */
const bundleHlcs = (store: Store): Map<string, string> =>
  new Map(
    store.sql
      .all<{ id: string; hlc: string }>('SELECT id, hlc FROM bundles WHERE local = 1')
      .map((r) => [r.id, r.hlc]),
  )

describe('re-stamping after a rollback starts after the database was reopened', () => {
  let dir: string | null = null
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  /**
   * Writes `copied` (queued, in the copy), reopens the file as a rolled-back device would, writes
   * one more, and is told that the server holds a lost write of it stamped after both.
   */
  const play = async (resumedBeforeCopy: boolean) => {
    dir = mkdtempSync(path.join(tmpdir(), 'unresumed-'))
    const file = path.join(dir, 'device.db')
    let now = T
    const open = () =>
      Store.open({ database: openNodeDatabase(file), schema: librarySchema, now: () => now })
    let store = await open()
    if (resumedBeforeCopy) clearUnresumed(store.sql)
    const write = (value: string) =>
      store.commitLocal([{ type: 'document', entity: 'a', attribute: 'title', value }], 10)
    write('queued in the copy')
    const copied = bundleHlcs(store)
    store.close()
    // The device reopens on its copy; its clock resumes from the copy's last HLC.
    store = await open()
    now += 5
    write('written after the rollback')
    const own = formatHlc({ ms: now + 1_000, counter: 0, node: store.clientId }) as Hlc
    store.clock.receive(own)
    const { bundles } = restampAtOrBelow(store, own)
    return { store, copied, own, bundles }
  }

  it('keeps the stamps of a bundle queued in the copy, re-stamps the ones written since', async () => {
    const { store, copied, own, bundles } = await play(true)
    const now = bundleHlcs(store)
    const [copiedId, copiedHlc] = [...copied][0]!
    // The copy's bundle may be held by siblings with these stamps: they stay.
    expect(now.get(copiedId)).toBe(copiedHlc)
    expect(bundles).toHaveLength(1)
    expect(bundles).not.toContain(copiedId)
    expect(now.get(bundles[0]!)! > own).toBe(true)
    store.close()
  })

  it('re-stamps as before when the copy was taken before any resume answer', async () => {
    const { store, copied, own, bundles } = await play(false)
    const [copiedId] = [...copied][0]!
    expect(bundles).toHaveLength(2)
    expect(bundles[0]).toBe(copiedId)
    for (const hlc of bundleHlcs(store).values()) expect(hlc > own).toBe(true)
    store.close()
  })

  it('keeps the first mark across reopens until a resume answer clears it', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'unresumed-'))
    const file = path.join(dir, 'device.db')
    let store = await Store.open({ database: openNodeDatabase(file), schema: librarySchema })
    expect(unresumedAfter(store.sql)).toBe('')
    store.commitLocal([{ type: 'document', entity: 'a', attribute: 'title', value: 'x' }], 10)
    store.close()
    store = await Store.open({ database: openNodeDatabase(file), schema: librarySchema })
    expect(unresumedAfter(store.sql)).toBe('')
    clearUnresumed(store.sql)
    const last = store.getState('last_hlc')
    store.close()
    store = await Store.open({ database: openNodeDatabase(file), schema: librarySchema })
    expect(unresumedAfter(store.sql)).toBe(last)
    store.close()
  })
})
