/**
 * Child-process entry that runs one HTTP server for a benchmark, so the load generator in the
 * parent and the server never share an event loop (on 2 cores that would measure neither).
 * argv[2] is a JSON `ServerSpec`; the first stdout line is a JSON `ServerReady`. Exits when
 * stdin closes or on SIGTERM.
 */
import Fastify from 'fastify'

export interface ServerSpec {
  kind: 'tidings' | 'bare'
  /** Tidings `db` option, e.g. `sqlite:/tmp/x.db` or a postgres URL. */
  db?: string
  /** Users to create; their tokens come back in `ServerReady`. */
  users?: number
  /** Trusted JWT issuers (the `--jwt-config` JSON), for the JWT auth row. */
  jwtIssuers?: unknown
  /** The SQL read model: on unless false (as `tidings serve`); `lag` also measures its lag. */
  readModel?: boolean | 'lag'
}

export interface ServerReady {
  url: string
  tokens: string[]
}

const BODY_LIMIT = 64 * 1024 * 1024

const startBare = async (): Promise<{ url: string; close: () => Promise<void> }> => {
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT })
  // The framework alone: parse the same JSON body, answer a small JSON object.
  app.post('/bare', async (request) => ({ ok: true, size: JSON.stringify(request.body).length }))
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  return { url, close: () => app.close() }
}

const main = async (): Promise<void> => {
  const spec = JSON.parse(process.argv[2] ?? '{}') as ServerSpec
  let close: () => Promise<void>
  const ready: ServerReady = { url: '', tokens: [] }
  if (spec.kind === 'bare') {
    const bare = await startBare()
    ready.url = bare.url
    close = bare.close
  } else {
    const { parseJwtIssuers, startServer } = await import('@tidings/server')
    const server = await startServer({
      ...(spec.jwtIssuers !== undefined && {
        jwtIssuers: parseJwtIssuers(spec.jwtIssuers, 'bench'),
      }),
      db: spec.db ?? 'memory',
      port: 0,
      // TIDINGS_BENCH_LOG=1 shows the server's error logs (stderr) while debugging a failure.
      logger:
        process.env.TIDINGS_BENCH_LOG === '1' ? { level: 'error', stream: process.stderr } : false,
      limits: { maxBodyBytes: BODY_LIMIT },
      // The limiter still runs on every request, at the ceiling it had before the per-user
      // default fell to 100/s: one bench user opens 200 live streams at once, or syncs 50
      // clients flat out, which is the load measured, not abuse to hold back.
      rateLimit: { max: 10_000, windowMs: 1_000 },
      readModel: spec.readModel === false ? false : { measureLag: spec.readModel === 'lag' },
    })
    // The parent asks for the read model's lags since it last asked (see read-model.ts).
    process.on('message', (message: { lag?: boolean }) => {
      if (message?.lag) process.send?.({ lag: server.readModel?.takeLag() ?? null })
    })
    ready.url = server.url
    close = () => server.close()
    for (let i = 0; i < (spec.users ?? 1); i++)
      ready.tokens.push((await server.addUser(`bench${i}`)).token)
  }
  const stop = (): void => {
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error)
        process.exit(1)
      },
    )
  }
  // The parent asks for a full collection before each timed sample (see gc.ts).
  process.on('message', (message: { gc?: boolean }) => {
    if (!message?.gc) return
    const gc = globalThis.gc
    if (typeof gc !== 'function')
      process.send?.({ gc: 'globalThis.gc is missing (no --expose-gc)' })
    else {
      gc()
      process.send?.({ gc: 'done' })
    }
  })
  process.stdin.on('end', stop)
  process.stdin.resume()
  process.on('SIGTERM', stop)
  process.stdout.write(`${JSON.stringify(ready)}\n`)
}

main().catch((error: unknown) => {
  process.stdout.write(
    `${JSON.stringify({ error: error instanceof Error ? error.stack : String(error) })}\n`,
  )
  process.exit(1)
})
