import { type Client, defineSchema, openClient, type TokenOption, t } from '@tidings/client'
import { openNodeDatabase } from '@tidings/client/node'
import { ROUTES } from '@tidings/protocol'

/** The schema every live test writes: one note per write, its text unique. */
export const schema = defineSchema({ note: { text: t.string(), by: t.string() } })
export type NoteClient = Client<typeof schema.types>

/** An hour: long enough that a test never sees an interval sync, so only pokes move data. */
export const NO_POLLING_MS = 3_600_000

export interface ClientSetup {
  urls: string[]
  /** A token, or a token function (an app's identity provider). */
  token: TokenOption
  /** Interval sync period; `NO_POLLING_MS` leaves live pokes as the only trigger. */
  intervalMs?: number
  live?: boolean
}

/**
 * A client on an in-memory SQLite database, its requests recorded by route so a test can tell
 * a poke-driven sync from polling. Started (`startSync`) by the caller.
 */
export const openTestClient = async (setup: ClientSetup) => {
  const requests: string[] = []
  const recordingFetch: typeof fetch = (input, init) => {
    requests.push(new URL(String(input)).pathname)
    return fetch(input, init)
  }
  const client: NoteClient = await openClient({
    schema,
    database: openNodeDatabase(':memory:'),
    server: {
      url: setup.urls,
      token: setup.token,
      fetch: recordingFetch,
      intervalMs: setup.intervalMs ?? NO_POLLING_MS,
      backoffMs: 50,
      ...(setup.live === undefined ? {} : { live: setup.live }),
    },
    onError: (error) => console.error('live test client:', error),
  })
  return {
    client,
    /** How many `POST /v1/sync` and `GET /v1/live` requests the client has made so far. */
    count: (route: 'sync' | 'live') => requests.filter((path) => path === ROUTES[route]).length,
  }
}

/** Texts of all notes a client holds, sorted. */
export const noteTexts = async (client: NoteClient): Promise<string[]> =>
  (await client.fetch('note', { orderBy: { text: 'asc' } })).map((note) => note.text)

/** Resolves once `predicate` holds, polling the local database only (never the server). */
export const until = async (
  what: string,
  predicate: () => Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!(await predicate())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Waits until the client's automatic sync has settled: idle, nothing pending. */
export const settled = (client: NoteClient, what: string): Promise<void> =>
  until(
    what,
    async () =>
      client.status.state === 'idle' &&
      client.status.pending === 0 &&
      client.status.lastSyncedAt !== null,
  )

/** Whether the client holds a note for every one of `texts`. */
export const holds = async (client: NoteClient, texts: readonly string[]): Promise<boolean> => {
  const held = new Set(await noteTexts(client))
  return texts.every((text) => held.has(text))
}
