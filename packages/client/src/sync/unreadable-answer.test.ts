import { type Bundle, formatHlc, isTidingsError, ROUTES, TidingsError } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { internals, type LibraryClient, memoryClient } from '../test/fixtures.js'

/** One bundle written by another device. */
const othersBundle = async (): Promise<Bundle> => {
  const writer = await memoryClient()
  const { bundle } = internals(writer).store.commitLocal(
    [{ type: 'document', entity: 'theirs', attribute: 'title', value: 'from a newer device' }],
    10,
  )
  await writer.close()
  return bundle
}

/**
 * A server that stores every pushed bundle (acknowledging it) and answers with `page` once, passed
 * through `dress` first: what a newer (or broken) server would send.
 */
const fakeServer = (page: Bundle[], dress: (answer: Record<string, unknown>) => unknown) => {
  const stored: string[] = []
  const cursors: Array<string | null> = []
  const fetch: typeof globalThis.fetch = async (input, init) => {
    if (!String(input).endsWith(ROUTES.sync)) return new Response('{}', { status: 404 })
    const request = JSON.parse(String(init?.body)) as { cursor: string | null; bundles: Bundle[] }
    cursors.push(request.cursor)
    stored.push(...request.bundles.map((b) => b.id))
    // The page comes with the first push (after the client's `resume` question, which pushes
    // nothing), and never again.
    const serve = request.cursor !== '1' && request.bundles.length > 0
    const answer = {
      hlc: formatHlc({ ms: Date.now(), counter: 0, node: 'server' }),
      cursor: serve ? '1' : (request.cursor ?? '0'),
      accepted: request.bundles.map((b) => b.id),
      bundles: serve ? page : [],
      more: false,
    }
    return new Response(JSON.stringify(dress(answer)), { status: 200 })
  }
  return { fetch, stored, cursors }
}

const clientOf = (
  fetch: typeof globalThis.fetch,
  hooks?: { afterApplyBundle?: () => void },
): Promise<LibraryClient> =>
  memoryClient({
    server: { url: 'http://fake', token: 't', fetch, attempts: 1 },
    ...(hooks && { hooks }),
  })

describe('answers this client cannot fully read (DESIGN.md §6)', () => {
  it('ignores unknown fields anywhere in an answer: the push is acknowledged and the page applied', async () => {
    const theirs = await othersBundle()
    // A newer server tags bundles and events, and adds fields of its own to the envelope.
    const tagged = {
      ...theirs,
      priority: 'low',
      events: theirs.events.map((e) => ({ ...e, origin: 'import' })),
    }
    const server = fakeServer([tagged as Bundle], (answer) => ({
      ...answer,
      spaces: [],
      epoch: 'e1',
    }))
    const client = await clientOf(server.fetch)
    await client.create('document', { author: 'me', title: 'mine' })

    expect(await client.sync()).toEqual({ pushed: 1, pulled: 1 })
    expect(await client.rejected()).toEqual([])
    expect(client.status).toMatchObject({ state: 'idle', pending: 0, rejected: 0 })
    expect((await client.fetch('document')).map((d) => d.title).sort()).toEqual([
      'from a newer device',
      'mine',
    ])
    expect(internals(client).store.getState('cursor')).toBe('1')
    await client.close()
  })

  it('reports a page it cannot apply as bad_answer and keeps its own pushed bundle queued, not refused', async () => {
    const theirs = await othersBundle()
    // Not an unknown field but a broken bundle: its HLC is not its events' greatest.
    const broken = { ...theirs, hlc: formatHlc({ ms: 0, counter: 0, node: theirs.client }) }
    const server = fakeServer([broken], (answer) => answer)
    const client = await clientOf(server.fetch)
    await client.create('document', { author: 'me', title: 'mine' })

    const error = await client.sync().then(
      () => null,
      (e: unknown) => e,
    )
    expect(isTidingsError(error, 'bad_answer')).toBe(true)
    expect((error as Error).message).toContain('cannot read the server')
    // The server stored the bundle, the answer just could not be read: nothing is set aside,
    // the bundle stays queued (pushing it again is idempotent) and the cursor stays put.
    expect(await client.rejected()).toEqual([])
    expect(client.status).toMatchObject({
      state: 'error',
      pending: 1,
      rejected: 0,
      error: { code: 'bad_answer' },
    })
    expect(internals(client).store.getState('cursor')).toBe('0')
    expect(server.stored).toHaveLength(1)
    await client.close()
  })

  it('never blames a pushed bundle for an error thrown while applying the page', async () => {
    const server = fakeServer([await othersBundle()], (answer) => answer)
    // A failure in this device's own apply path that happens to look like a size refusal.
    let fail = true
    const client = await clientOf(server.fetch, {
      afterApplyBundle: () => {
        if (!fail) return
        fail = false
        throw new TidingsError('too_large', 'local failure while applying')
      },
    })
    await client.create('document', { author: 'me', title: 'mine' })
    await expect(client.sync()).rejects.toThrow('local failure while applying')
    expect(await client.rejected()).toEqual([])
    expect(client.status.pending).toBe(1)
    expect(await client.sync()).toEqual({ pushed: 1, pulled: 1 })
    await client.close()
  })
})
