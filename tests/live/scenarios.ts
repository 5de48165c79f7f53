import { expect } from 'vitest'
import { LiveConnection, type LiveEvent } from '../../packages/client/src/live/live-connection.js'
import { holds, noteTexts, openTestClient, settled, until } from './support.js'

/**
 * A writes through `aUrl`, B reads through `bUrl` with no interval sync: the note reaches B,
 * and the only thing that made B sync after settling is a poke on its live stream.
 */
export const pokeReachesIdleClient = async (options: {
  aUrl: string
  bUrl: string
  token: string
}) => {
  const a = await openTestClient({ urls: [options.aUrl], token: options.token })
  const b = await openTestClient({ urls: [options.bUrl], token: options.token })
  try {
    b.client.startSync()
    // B's first sync (startSync) and its catch-up sync once the live stream opened.
    await until(
      'B to open its live stream and sync twice',
      async () => b.count('live') >= 1 && b.count('sync') >= 2,
    )
    await settled(b.client, 'B to settle')
    const syncsBefore = b.count('sync')
    const text = `from A ${Date.now()}`

    await a.client.create('note', { text, by: 'A' })
    await a.client.sync()

    await until('the note on B', () => holds(b.client, [text]))
    // B has no interval sync and wrote nothing: what made it sync is the poke.
    expect(b.count('sync')).toBeGreaterThan(syncsBefore)
    expect(b.count('live')).toBe(1)
  } finally {
    await Promise.all([a.client.close(), b.client.close()])
  }
}

/**
 * `perUser` live streams per user held open on `liveUrl` while a writer per user pushes
 * `writes` bundles through `writeUrl`: every stream receives pokes, each stream's last poke
 * is its user's final cursor, and a reader client on `liveUrl` converges without polling.
 */
export const manyConnections = async (options: {
  liveUrl: string
  writeUrl: string
  tokens: readonly string[]
  perUser: number
  writes: number
}) => {
  const streams = options.tokens.flatMap((token, user) =>
    Array.from({ length: options.perUser }, () => {
      const connection = new LiveConnection({ urls: [options.liveUrl], token })
      const pokes: string[] = []
      let opened = false
      connection.on((event: LiveEvent) => {
        if (event.type === 'open') opened = true
        if (event.type === 'poke') pokes.push(event.cursor)
      })
      connection.start()
      return { user, connection, pokes, opened: () => opened }
    }),
  )
  const writers = await Promise.all(
    options.tokens.map((token) => openTestClient({ urls: [options.writeUrl], token })),
  )
  const readers = await Promise.all(
    options.tokens.map((token) => openTestClient({ urls: [options.liveUrl], token })),
  )
  try {
    await until(`${streams.length} live streams to open`, async () =>
      streams.every((s) => s.opened()),
    )
    for (const reader of readers) reader.client.startSync()
    await Promise.all(readers.map((r, i) => settled(r.client, `reader ${i} to settle`)))
    const written: string[][] = options.tokens.map(() => [])
    // Bundles flow for every user at once, each write its own bundle and sync.
    await Promise.all(
      writers.map(async (writer, user) => {
        for (let i = 0; i < options.writes; i++) {
          const text = `user ${user} write ${i}`
          await writer.client.create('note', { text, by: 'writer' })
          await writer.client.sync()
          written[user]?.push(text)
        }
      }),
    )
    await Promise.all(
      readers.map((reader, user) =>
        until(`reader ${user} to hold every write`, () =>
          holds(reader.client, written[user] ?? []),
        ),
      ),
    )
    // The final cursor of each user is the highest any of its streams saw; all must reach it.
    const finalCursor = options.tokens.map((_, user) =>
      Math.max(...streams.filter((s) => s.user === user).flatMap((s) => s.pokes.map(Number))),
    )
    await until('every stream to receive its final poke', async () =>
      streams.every((s) => s.pokes.length > 0 && Number(s.pokes.at(-1)) === finalCursor[s.user]),
    )
    for (const [user, reader] of readers.entries())
      expect((await noteTexts(reader.client)).length).toBe(written[user]?.length)
    expect(streams.every((s) => s.pokes.length >= 1)).toBe(true)
  } finally {
    for (const s of streams) s.connection.stop()
    await Promise.all([...writers, ...readers].map((c) => c.client.close()))
  }
}

/**
 * A user's live streams, open on every one of `urls`, end within seconds of `revoke()` (not at
 * their hour-long maximum age), and their reconnects are refused as `unauthorized`; another
 * user's streams on the same nodes stay open and keep receiving pokes.
 */
export const revokedStreamsEnd = async (options: {
  urls: readonly string[]
  revokedToken: string
  otherToken: string
  revoke: () => Promise<void>
  /** Makes the other user's stream advance, so its streams must be poked afterwards. */
  writeAsOther: () => Promise<void>
}) => {
  const watch = (url: string, token: string) => {
    // One URL each, a short backoff: the reconnect after the end is quick and stays on its node.
    const connection = new LiveConnection({
      urls: [url],
      token,
      backoff: { initialMs: 50, maxMs: 200 },
    })
    const events: LiveEvent[] = []
    connection.on((event) => events.push(event))
    connection.start()
    return { url, connection, events }
  }
  const revoked = options.urls.map((url) => watch(url, options.revokedToken))
  const others = options.urls.map((url) => watch(url, options.otherToken))
  const opened = (w: { events: LiveEvent[] }) => w.events.some((e) => e.type === 'open')
  try {
    await until('every live stream to open', async () => [...revoked, ...others].every(opened))
    await options.revoke()
    const refused = (w: { events: LiveEvent[] }) =>
      w.events.some((e) => e.type === 'closed' && e.error.code === 'unauthorized')
    await until(
      'the revoked user’s streams to end, on every node',
      async () => revoked.every(refused),
      10_000,
    )
    for (const w of revoked) expect(w.events.filter((e) => e.type === 'open')).toHaveLength(1)
    await options.writeAsOther()
    await until('the other user’s streams to be poked, on every node', async () =>
      others.every((w) => w.events.some((e) => e.type === 'poke')),
    )
    for (const w of others) expect(w.events.some((e) => e.type === 'closed')).toBe(false)
  } finally {
    for (const w of [...revoked, ...others]) w.connection.stop()
  }
}
