import { type Bundle, formatHlc, isTidingsError, newId, ROUTES } from '@tidings/protocol'
import { startServer } from '@tidings/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { internals, type LibraryClient } from '../test/fixtures.js'
import { type RunningServer, serverClient, startBackend } from '../test/server.js'

/** The outbox bundle ids of a client, in push order. */
const outbox = (client: LibraryClient): string[] =>
  internals(client)
    .store.outbox(0, 100)
    .map((row) => row.bundle)

/**
 * Stores, from another device of the same user, an event that reuses `eventId` with other
 * content: what a device with a broken id generator (or a restored backup) would do.
 */
const squat = async (server: RunningServer, token: string, eventId: string): Promise<void> => {
  const client = newId()
  const hlc = formatHlc({ ms: Date.now(), counter: 0, node: client })
  const event = {
    id: eventId,
    type: 'document',
    entity: newId(),
    attribute: 'title',
    value: 'squatter',
    hlc,
    client,
  }
  const bundle: Bundle = { id: newId(), client, hlc, events: [event] }
  const response = await fetch(server.url + ROUTES.sync, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ client, hlc, cursor: null, bundles: [bundle] }),
  })
  expect(response.status).toBe(200)
}

/** Three documents written in three transactions: three bundles, pushed in this order. */
const writeThree = async (client: LibraryClient) => {
  const docs = []
  for (const title of ['first', 'second', 'third'])
    docs.push(await client.create('document', { author: 'Ada', title }))
  return docs
}

/** The fetch of the global, with every sync request's bundle count written down. */
const countingFetch = (counts: number[], alter?: (r: Response) => Promise<Response>) =>
  (async (input: RequestInfo | URL, init?: RequestInit) => {
    if (String(input).endsWith(ROUTES.sync) && typeof init?.body === 'string')
      counts.push((JSON.parse(init.body) as { bundles: unknown[] }).bundles.length)
    const answer = await fetch(input, init)
    return alter ? alter(answer) : answer
  }) as typeof fetch

describe.each(['sqlite', 'postgres'] as const)(
  'bundles the server refuses for good (%s)',
  (kind) => {
    let server: RunningServer
    beforeAll(async () => {
      server = (await startBackend(kind)).server
    })
    afterAll(() => server?.close())

    it('moves a refused bundle out of the middle of the outbox; the ones after it still sync', async () => {
      const user = await server.addUser(`refused-${Date.now()}`)
      const writer = await serverClient(server, user.token)
      const [first, second, third] = await writeThree(writer)
      const [, refusedId] = outbox(writer)
      const taken = internals(writer).store.bundle(refusedId!)!.events[0]!.id
      await squat(server, user.token, taken)

      expect(await writer.sync()).toEqual({ pushed: 2, pulled: 1, rejected: 1 })
      const rejected = await writer.rejected()
      expect(rejected).toMatchObject([
        { id: refusedId, code: 'conflict', details: { event: taken } },
      ])
      expect(rejected[0]!.events.map((e) => e.id)).toContain(taken)
      expect(writer.status).toMatchObject({ state: 'idle', pending: 0, rejected: 1 })
      // Its changes stay on this device (reported, not undone); the server never got them.
      expect(await writer.get('document', second!.id)).toMatchObject({ title: 'second' })
      const reader = await serverClient(server, user.token)
      await reader.sync()
      expect(await reader.get('document', first!.id)).toMatchObject({ title: 'first' })
      expect(await reader.get('document', third!.id)).toMatchObject({ title: 'third' })
      expect(await reader.get('document', second!.id)).toBeNull()

      // Later writes are not held back either.
      await writer.create('document', { author: 'Ada', title: 'fourth' })
      expect(await writer.sync()).toMatchObject({ pushed: 1 })

      await writer.discardRejected(refusedId!)
      expect(await writer.rejected()).toEqual([])
      expect(writer.status).toMatchObject({ pending: 0, rejected: 0 })
      // verify() finds the server lacks it, but a refused bundle is not pushed again behind the app's back.
      expect(await writer.verify()).toMatchObject({ missingOnServer: 0, pushed: 0 })
      await expect(writer.discardRejected(refusedId!)).rejects.toSatisfy((e) =>
        isTidingsError(e, 'not_found'),
      )
      for (const c of [writer, reader]) await c.close()
    })

    it('retries a refused bundle unchanged when asked; refused again, it is listed again', async () => {
      const user = await server.addUser(`retry-${Date.now()}`)
      const writer = await serverClient(server, user.token)
      await writeThree(writer)
      const [refusedId] = outbox(writer)
      await squat(server, user.token, internals(writer).store.bundle(refusedId!)!.events[0]!.id)
      await writer.sync()

      await writer.retryRejected(refusedId!)
      expect(writer.status).toMatchObject({ pending: 1, rejected: 0 })
      expect(await writer.sync()).toMatchObject({ pushed: 0, rejected: 1 })
      expect((await writer.rejected()).map((r) => r.id)).toEqual([refusedId])
      await expect(writer.retryRejected(newId())).rejects.toSatisfy((e) =>
        isTidingsError(e, 'not_found'),
      )
      await writer.close()
    })

    it('pushes one bundle at a time to find the refused one when the answer does not name it', async () => {
      const user = await server.addUser(`unnamed-${Date.now()}`)
      const counts: number[] = []
      // An older server (or a proxy) that refuses without saying which bundle.
      const anonymous = async (answer: Response) => {
        if (answer.status !== 409) return answer
        const body = (await answer.json()) as { error: { details?: unknown } }
        delete body.error.details
        return new Response(JSON.stringify(body), { status: 409, headers: answer.headers })
      }
      const writer = await serverClient(server, user.token, {
        server: { fetch: countingFetch(counts, anonymous) },
      })
      const [first, , third] = await writeThree(writer)
      const [, refusedId] = outbox(writer)
      await squat(server, user.token, internals(writer).store.bundle(refusedId!)!.events[0]!.id)

      expect(await writer.sync()).toMatchObject({ pushed: 2, rejected: 1 })
      // First the `resume` question (no bundles), then all three, then one at a time.
      expect(counts).toEqual([0, 3, 1, 1, 1])
      expect((await writer.rejected()).map((r) => [r.id, r.code])).toEqual([
        [refusedId, 'conflict'],
      ])
      const reader = await serverClient(server, user.token)
      await reader.sync()
      expect(await reader.get('document', first!.id)).not.toBeNull()
      expect(await reader.get('document', third!.id)).not.toBeNull()
      for (const c of [writer, reader]) await c.close()
    })

    it.each([
      [503, 'unavailable'],
      [429, 'rate_limited'],
    ] as const)('keeps every bundle queued through a transient %i', async (status, code) => {
      const user = await server.addUser(`transient-${status}-${Date.now()}`)
      let failing = true
      const transient = async (answer: Response) =>
        failing
          ? new Response(JSON.stringify({ error: { code, message: 'try later' } }), {
              status,
              headers: { 'content-type': 'application/json', 'retry-after': '0' },
            })
          : answer
      const writer = await serverClient(server, user.token, {
        server: { fetch: countingFetch([], transient), attempts: 2 },
      })
      await writeThree(writer)
      await expect(writer.sync()).rejects.toSatisfy((e) => isTidingsError(e, code))
      expect(await writer.rejected()).toEqual([])
      expect(writer.status).toMatchObject({ pending: 3, rejected: 0, error: { code } })
      failing = false
      expect(await writer.sync()).toEqual({ pushed: 3, pulled: 0 })
      await writer.close()
    })
  },
)

describe('bundles over the server’s limits', () => {
  it('refuses a bundle over the server’s limits (named by its issue path) and syncs the rest', async () => {
    const strict = await startServer({
      db: 'memory',
      port: 0,
      logger: false,
      limits: { maxEventsPerBundle: 2 },
    })
    try {
      const user = await strict.addUser('strict')
      const writer = await serverClient(strict, user.token)
      await writer.create('document', { author: 'Ada', title: 'small' })
      const big = await writer.create('document', {
        author: 'Ada',
        title: 'big',
        url: 'https://a.test',
      })
      await writer.create('document', { author: 'Ada', title: 'after' })
      expect(await writer.sync()).toMatchObject({ pushed: 2, rejected: 1 })
      const [refused] = await writer.rejected()
      expect(refused).toMatchObject({ code: 'too_large' })
      expect(refused!.events.every((e) => e.entity === big.id)).toBe(true)
      await writer.close()
    } finally {
      await strict.close()
    }
  })
})
