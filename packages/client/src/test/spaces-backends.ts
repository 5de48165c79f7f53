import { ROUTES } from '@tidings/protocol'
import { openClient } from '../api/client.js'
import { openNodeDatabase } from '../node.js'
import { type FakeServerOptions, FakeSpacesServer } from './fake-spaces-server.js'
import { type LibraryClient, librarySchema } from './fixtures.js'
import { startBackend } from './server.js'

/**
 * A server the spaces tests run against: anything that makes users and answers the protocol.
 * `BACKENDS` lists the in-process fake (fake-spaces-server.ts) and the real server on an SQLite
 * file; `availableBackends()` leaves the real one out, saying so, while it does not answer the
 * spaces routes yet (they were being built beside this client).
 */
export interface SpacesBackend {
  url: string
  fetch: typeof fetch
  addUser(name: string): Promise<{ id: string; token: string }>
  close(): Promise<void>
}

export interface BackendKind {
  name: string
  start(options?: FakeServerOptions): Promise<SpacesBackend>
}

export const BACKENDS: BackendKind[] = [
  {
    name: 'fake server (in process)',
    async start(options) {
      const fake = new FakeSpacesServer(options)
      return {
        url: fake.url,
        fetch: fake.fetch,
        addUser: (name) => fake.addUser(name),
        close: async () => undefined,
      }
    },
  },
  {
    name: 'real server (SQLite file)',
    async start() {
      const { server } = await startBackend('sqlite')
      return {
        url: server.url,
        fetch: (input, init) => globalThis.fetch(input, init),
        addUser: async (name) => {
          const user = await server.addUser(name)
          return { id: user.id, token: user.token }
        },
        close: () => server.close(),
      }
    },
  },
]

/** `BACKENDS`, without a real server that does not answer `GET /v1/spaces` yet (printed). */
export const availableBackends = async (): Promise<BackendKind[]> => {
  const out: BackendKind[] = []
  for (const kind of BACKENDS) {
    const backend = await kind.start()
    try {
      const { token } = await backend.addUser('probe')
      const answer = await backend.fetch(backend.url + ROUTES.spaces, {
        headers: { authorization: `Bearer ${token}` },
      })
      if (answer.ok) out.push(kind)
      else
        console.warn(
          `spaces tests: ${kind.name} answers GET ${ROUTES.spaces} with ${answer.status}; not run on it until it has the spaces routes`,
        )
    } finally {
      await backend.close()
    }
  }
  return out
}

/** A device of the user holding `token`: a client on a fresh in-memory database. */
export const deviceOf = (backend: SpacesBackend, token: string): Promise<LibraryClient> =>
  openClient({
    schema: librarySchema,
    database: openNodeDatabase(':memory:'),
    server: { url: backend.url, token, fetch: backend.fetch, backoffMs: 1, attempts: 1 },
    onError: () => undefined,
  })
