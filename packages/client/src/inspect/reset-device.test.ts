import { isTidingsError, ROUTES } from '@tidings/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { internals, memoryClient } from '../test/fixtures.js'
import { type RunningServer, serverClient, startBackend } from '../test/server.js'

/** A `fetch` that fails like a lost network while `offline.now` is true. */
const switchableFetch = () => {
  const offline = { now: false }
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    if (offline.now) throw new TypeError('fetch failed')
    return fetch(input, init)
  }) as typeof fetch
  return { offline, fetchFn }
}

/**
 * "Reset this device and resync" (`inspector().resetDevice()`): it empties the device and pulls
 * everything again, and never loses a write the server does not have: it pushes first, and
 * what still cannot be delivered makes it refuse (`unsent_changes`) unless told to discard.
 */
describe('inspector: resetDevice, against a real server', () => {
  let server: RunningServer
  beforeAll(async () => {
    server = (await startBackend('sqlite')).server
  })
  afterAll(() => server?.close())

  const user = async (name: string) => server.addUser(`${name}-${Date.now()}-${Math.random()}`)

  it('wipes the device and pulls the same state again, keeping its client id and clock', async () => {
    const ada = await user('reset')
    const device = await serverClient(server, ada.token)
    const other = await serverClient(server, ada.token)
    const doc = await device.create('document', { author: 'Ada', title: 'mine' })
    await other.create('shelf', { name: 'theirs' })
    await other.sync()
    // The last write is unsent: the reset pushes it first.
    await device.update('document', doc.id, { title: 'mine, edited' })
    await device.sync()
    const state = internals(device).store.dump()
    const lastHlc = (await device.inspector().sync()).lastHlc!.text
    await device.update('document', doc.id, { url: 'https://unsent.test' })

    const seen: number[] = []
    device.observe('document', {}, (rows) => seen.push(rows.length))
    const result = await device.inspector().resetDevice()
    expect(result).toEqual({ discarded: 0, pulled: 4 }) // every bundle of the user, its own too
    expect((await device.get('document', doc.id))?.url).toBe('https://unsent.test')
    await other.sync()
    expect(internals(device).store.dump()).toEqual(internals(other).store.dump())
    expect(state.tables.shelf).toEqual(internals(device).store.dump().tables.shelf)
    // Live queries show the state pulled again.
    await internals(device).settled()
    expect(seen.at(-1)).toBe(1)

    const info = await device.inspector().sync()
    expect(info.clientId).toBe(device.clientId)
    expect(info.cursor).toEqual(expect.any(String))
    expect(info.lastHlc!.text > lastHlc).toBe(true)
    expect(device.status).toMatchObject({ pending: 0, rejected: 0 })
    // A write after the reset is stamped after everything before it, and syncs as usual.
    const after = await device.create('document', { author: 'Ada', title: 'after the reset' })
    const [event] = (await device.inspector().events({ type: 'document', id: after.id })).events
    expect(event!.hlc.text > lastHlc).toBe(true)
    expect(await device.sync()).toMatchObject({ pushed: 1 })
    await device.close()
    await other.close()
  })

  it('refuses while the server cannot be reached, changing nothing', async () => {
    const ada = await user('offline')
    const { offline, fetchFn } = switchableFetch()
    const device = await serverClient(server, ada.token, {
      server: { fetch: fetchFn, attempts: 1 },
    })
    const doc = await device.create('document', { author: 'Ada', title: 'written offline' })
    offline.now = true
    const error = await device
      .inspector()
      .resetDevice({ discardUnsent: true })
      .catch((e) => e)
    expect(isTidingsError(error, 'unavailable')).toBe(true)
    expect(await device.get('document', doc.id)).toMatchObject({ title: 'written offline' })
    expect((await device.inspector().outbox()).total).toBe(1)
    offline.now = false
    expect(await device.inspector().resetDevice()).toEqual({ discarded: 0, pulled: 1 })
    expect(await device.get('document', doc.id)).toMatchObject({ title: 'written offline' })
    await device.close()
  })

  it('refuses with unsent_changes while a refused bundle is not discarded, unless told to', async () => {
    const ada = await user('refused')
    let refuse = true
    const device = await serverClient(server, ada.token, {
      server: {
        attempts: 1,
        // The server refuses this device's pushes for good while `refuse` holds (a limit, say).
        fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
          const carries = typeof init?.body === 'string' && init.body.includes('"bundles":[{')
          if (refuse && String(input).endsWith(ROUTES.sync) && carries)
            return Response.json(
              { error: { code: 'too_large', message: 'bundle over the limit' } },
              { status: 413 },
            )
          return fetch(input, init)
        }) as typeof fetch,
      },
    })
    const kept = await device.create('document', { author: 'Ada', title: 'refused' })
    await device.sync()
    expect(device.status.rejected).toBe(1)

    const error = await device
      .inspector()
      .resetDevice()
      .catch((e: unknown) => e)
    expect(isTidingsError(error, 'unsent_changes')).toBe(true)
    expect((error as { details: unknown }).details).toEqual({ pending: 0, rejected: 1 })
    expect(await device.get('document', kept.id)).not.toBeNull()

    expect(await device.inspector().resetDevice({ discardUnsent: true })).toEqual({
      discarded: 1,
      pulled: 0,
    })
    expect(await device.get('document', kept.id)).toBeNull()
    expect(await device.inspector().refused()).toEqual([])
    refuse = false
    await device.close()
  })

  it('refuses without a server: there would be nothing to resync from', async () => {
    const device = await memoryClient()
    await device.create('document', { author: 'Ada', title: 'only here' })
    const error = await device
      .inspector()
      .resetDevice({ discardUnsent: true })
      .catch((e) => e)
    expect(isTidingsError(error, 'bad_request')).toBe(true)
    expect(await device.fetch('document')).toHaveLength(1)
    await device.close()
  })
})
