import { ROUTES } from '@tidings/protocol'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { LiveConnection, type LiveEvent } from './live-connection.js'

/** One scripted server answer: an event stream the test writes to, or a refusal. */
interface FakeStream {
  send(text: string): void
  end(): void
}

type Script = (stream: FakeStream) => Response | undefined

/** A `fetch` that answers requests from `scripts` in order and records what was asked. */
const fakeFetch = (scripts: Script[]) => {
  const calls: Array<{ url: string; authorization: string | null }> = []
  const streams: FakeStream[] = []
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    calls.push({
      url: String(input),
      authorization: new Headers(init?.headers).get('authorization'),
    })
    const script = scripts.shift()
    if (!script) throw new TypeError('fetch failed: connection refused')
    const encoder = new TextEncoder()
    let controller!: ReadableStreamDefaultController<Uint8Array>
    const body = new ReadableStream<Uint8Array>({
      start: (c) => {
        controller = c
      },
    })
    init?.signal?.addEventListener('abort', () =>
      controller.error(new DOMException('aborted', 'AbortError')),
    )
    const stream: FakeStream = {
      send: (text) => controller.enqueue(encoder.encode(text)),
      end: () => controller.close(),
    }
    streams.push(stream)
    return (
      script(stream) ??
      new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } })
    )
  }
  return { fetch: fetch as typeof globalThis.fetch, calls, streams }
}

const connections: LiveConnection[] = []
const connect = (
  fetch: typeof globalThis.fetch,
  urls = ['http://one', 'http://two'],
  idleTimeoutMs = 60_000,
  healthyMs = 20,
) => {
  const connection = new LiveConnection({
    urls,
    token: 'secret',
    fetch,
    backoff: { initialMs: 1, maxMs: 5 },
    idleTimeoutMs,
    healthyMs,
    random: () => 0.5,
  })
  const events: LiveEvent[] = []
  connection.on((event) => events.push(event))
  connections.push(connection)
  connection.start()
  return { connection, events }
}

afterEach(() => {
  for (const c of connections.splice(0)) c.stop()
})

describe('LiveConnection', () => {
  it('opens the live route with the bearer token and reports open, then each poke', async () => {
    const fake = fakeFetch([() => undefined])
    const { events } = connect(fake.fetch)
    await vi.waitFor(() => expect(fake.streams).toHaveLength(1))
    fake.streams[0]?.send(': live\n\ndata: {"cursor":"4"}\n\ndata: {"cursor"')
    fake.streams[0]?.send(':"5"}\n\n')
    await vi.waitFor(() => expect(events).toHaveLength(3))
    expect(fake.calls[0]).toEqual({
      url: `http://one${ROUTES.live}`,
      authorization: 'Bearer secret',
    })
    expect(events).toEqual([
      { type: 'open', url: 'http://one' },
      { type: 'poke', cursor: '4', url: 'http://one' },
      { type: 'poke', cursor: '5', url: 'http://one' },
    ])
  })

  it('skips messages it does not understand and keeps reading', async () => {
    const fake = fakeFetch([() => undefined])
    const { events } = connect(fake.fetch)
    await vi.waitFor(() => expect(fake.streams).toHaveLength(1))
    fake.streams[0]?.send('data: not json\n\ndata: {"other":1}\n\ndata: {"cursor":"6"}\n\n')
    await vi.waitFor(() =>
      expect(events.at(-1)).toEqual({ type: 'poke', cursor: '6', url: 'http://one' }),
    )
    expect(events.filter((e) => e.type === 'poke')).toHaveLength(1)
  })

  it('fails over to the next URL when a server is unreachable, and back round the list', async () => {
    const refused: Script = () => {
      throw new TypeError('fetch failed')
    }
    const fake = fakeFetch([refused, () => undefined])
    const { events, connection } = connect(fake.fetch)
    await vi.waitFor(() => expect(events.map((e) => e.type)).toEqual(['closed', 'open']))
    expect(events[0]).toMatchObject({
      type: 'closed',
      url: 'http://one',
      error: { code: 'unavailable' },
    })
    expect(events[1]).toEqual({ type: 'open', url: 'http://two' })
    expect(connection.state).toBe('open')
    fake.streams[1]?.end()
    await vi.waitFor(() => expect(fake.calls.length).toBeGreaterThanOrEqual(3))
    expect(fake.calls[2]?.url).toBe(`http://one${ROUTES.live}`)
  })

  it('reconnects when the server ends the stream', async () => {
    const fake = fakeFetch([() => undefined, () => undefined])
    const { events } = connect(fake.fetch, ['http://only'])
    await vi.waitFor(() => expect(fake.streams).toHaveLength(1))
    fake.streams[0]?.end()
    await vi.waitFor(() => expect(events.map((e) => e.type)).toEqual(['open', 'closed', 'open']))
  })

  it('reports a refusal with the server error, and keeps retrying', async () => {
    const unauthorized: Script = () =>
      Response.json({ error: { code: 'unauthorized', message: 'bad token' } }, { status: 401 })
    const fake = fakeFetch([unauthorized, () => undefined])
    const { events } = connect(fake.fetch)
    await vi.waitFor(() => expect(events.map((e) => e.type)).toEqual(['closed', 'open']))
    expect(events[0]).toMatchObject({ error: { code: 'unauthorized', message: 'bad token' } })
  })

  it('stops retrying when a fresh token is refused too, until resume() (the user signed in again)', async () => {
    const unauthorized: Script = () =>
      Response.json({ error: { code: 'unauthorized', message: 'bad token' } }, { status: 401 })
    const fake = fakeFetch([unauthorized, unauthorized, () => undefined])
    const { events, connection } = connect(fake.fetch)
    await vi.waitFor(() => expect(events.map((e) => e.type)).toEqual(['closed', 'closed']))
    expect(events[1]).toMatchObject({ retryInMs: Number.POSITIVE_INFINITY })
    // Parked: no third request however long it waits (a few backoff periods here).
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(fake.calls).toHaveLength(2)
    connection.resume()
    await vi.waitFor(() => expect(events.map((e) => e.type)).toEqual(['closed', 'closed', 'open']))
  })

  it('treats a silent connection as dead after the idle timeout', async () => {
    const fake = fakeFetch([() => undefined, () => undefined])
    const { events } = connect(fake.fetch, ['http://one', 'http://two'], 30)
    await vi.waitFor(() =>
      expect(events.map((e) => e.type).slice(0, 3)).toEqual(['open', 'closed', 'open']),
    )
    expect(events[1]).toMatchObject({ error: { message: expect.stringMatching(/no heartbeat/) } })
  })

  it('waits longer after each failure in a row (doubling, capped) and resets once open a while', async () => {
    const refused: Script = () => {
      throw new TypeError('fetch failed')
    }
    const fake = fakeFetch([refused, refused, refused, refused, () => undefined, refused])
    const { events } = connect(fake.fetch)
    await vi.waitFor(() => expect(events.some((e) => e.type === 'open')).toBe(true))
    const waits = events.flatMap((e) => (e.type === 'closed' ? [e.retryInMs] : []))
    // random() is 0.5: half of 1, 2, 4, then the 5 ms cap.
    expect(waits).toEqual([0.5, 1, 2, 2.5])
    // The open stream proves healthy (open longer than `healthyMs`), then ends; the list of
    // scripted answers is used up, so retries fail from now on.
    await new Promise((resolve) => setTimeout(resolve, 40))
    fake.streams.at(-1)?.end()
    await vi.waitFor(() =>
      expect(events.filter((e) => e.type === 'closed').length).toBeGreaterThanOrEqual(6),
    )
    expect(events.flatMap((e) => (e.type === 'closed' ? [e.retryInMs] : [])).slice(4, 6)).toEqual([
      0.5, 1,
    ])
  })

  it('backs off from a server that accepts the stream and drops it at once (no reconnect storm)', async () => {
    const dropAtOnce: Script = (stream) => {
      queueMicrotask(() => stream.end())
      return undefined
    }
    const fake = fakeFetch(Array.from({ length: 5 }, () => dropAtOnce))
    const { events } = connect(fake.fetch, ['http://only'], 60_000, 60_000)
    await vi.waitFor(() =>
      expect(events.filter((e) => e.type === 'closed').length).toBeGreaterThanOrEqual(5),
    )
    // Each stream opened, yet none stayed open: the waits keep doubling as failures would.
    const waits = events.flatMap((e) => (e.type === 'closed' ? [e.retryInMs] : []))
    expect(waits.slice(0, 4)).toEqual([0.5, 1, 2, 2.5])
  })

  it('stops for good: no more requests, state stopped', async () => {
    const fake = fakeFetch([() => undefined])
    const { connection } = connect(fake.fetch)
    await vi.waitFor(() => expect(connection.state).toBe('open'))
    connection.stop()
    expect(connection.state).toBe('stopped')
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(fake.calls).toHaveLength(1)
  })
})
