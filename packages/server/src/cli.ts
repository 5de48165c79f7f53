#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { TidingsError } from '@tidings/protocol'
import { addUser, listUsers, revokeUser } from './auth/users.js'
import { limitsFromFlags, LIMIT_FLAGS } from './limit-flags.js'
import { DEFAULT_DB, DEFAULT_PORT, startServer } from './server.js'
import { openStore } from './store/kysely-store.js'

const USAGE = `Usage:
  tidings serve [--port 8787] [--host 127.0.0.1] [--db URL] [--static DIR] [--demo] [--quiet] [--max-body-bytes N] ...
  tidings user add NAME [--db URL] [--json]
  tidings user list [--db URL] [--json]
  tidings user revoke NAME [--db URL]

--db (or TIDINGS_DB): memory | sqlite:PATH | postgres://... | pglite:memory | pglite:DIR
     (default ${DEFAULT_DB}); --port (or PORT, default ${DEFAULT_PORT}; 0 picks a free port).
Limits: ${Object.keys(LIMIT_FLAGS).map((f) => `--${f}`).join(' ')}
--demo is an insecure demo mode: user "demo" with the public token "demo-token".`

/** Bad command-line input: a message and exit code 2, no stack trace. */
class UsageError extends Error {}

const options = {
  port: { type: 'string' },
  host: { type: 'string' },
  db: { type: 'string' },
  static: { type: 'string' },
  demo: { type: 'boolean' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  ...Object.fromEntries(Object.keys(LIMIT_FLAGS).map((flag) => [flag, { type: 'string' }])),
} as const

type Values = Record<string, string | boolean | undefined>

const main = async (argv: string[]): Promise<void> => {
  let parsed: { values: Values; positionals: string[] }
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const { values, positionals } = parsed
  const [command, sub, name, ...rest] = positionals
  if (values.help || command === undefined) {
    console.log(USAGE)
    if (command === undefined && !values.help) process.exitCode = 2
    return
  }
  const db = text(values.db) ?? process.env.TIDINGS_DB ?? DEFAULT_DB
  if (command === 'serve') {
    if (sub !== undefined) throw new UsageError(`serve takes no arguments, got ${JSON.stringify(sub)}`)
    return serve(values, db)
  }
  if (command !== 'user') throw new UsageError(`unknown command ${JSON.stringify(command)}`)
  if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`)
  if (sub === 'list') return withStore(db, async (store) => printUsers(await listUsers(store), values.json === true))
  if (sub !== 'add' && sub !== 'revoke') throw new UsageError('user needs add NAME, list or revoke NAME')
  if (name === undefined) throw new UsageError(`user ${sub} needs a NAME`)
  if (sub === 'add')
    return withStore(db, async (store) => {
      const user = await addUser(store, name)
      if (values.json) console.log(JSON.stringify(user))
      else console.log(`user ${user.name} (${user.id})\ntoken ${user.token}\nThe token is shown only now; keep it secret.`)
    })
  return withStore(db, async (store) => {
    await revokeUser(store, name)
    console.log(`revoked ${name}`)
  })
}

const serve = async (values: Values, db: string): Promise<void> => {
  const port = integer(text(values.port) ?? process.env.PORT ?? String(DEFAULT_PORT), 'port')
  if (port > 65_535) throw new UsageError(`port ${port} is out of range`)
  const server = await startServer({
    db,
    port,
    host: text(values.host) ?? '127.0.0.1',
    limits: limitsFromFlags(values, (flag, value) => integer(value, flag)),
    logger: values.quiet ? false : { level: process.env.LOG_LEVEL ?? 'info' },
    ...(text(values.static) !== undefined && { static: text(values.static) as string }),
    ...(values.demo === true && { demo: true }),
  })
  console.log(`Tidings listening on ${server.url}`)
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    console.error(`${signal}: finishing in-flight requests, then closing the database`)
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err)
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}

const withStore = async (db: string, fn: (store: Awaited<ReturnType<typeof openStore>>) => Promise<void>) => {
  const store = await openStore(db)
  try {
    await fn(store)
  } finally {
    await store.close()
  }
}

const printUsers = (users: Awaited<ReturnType<typeof listUsers>>, json: boolean): void => {
  if (json) {
    console.log(JSON.stringify(users))
    return
  }
  if (users.length === 0) console.log('no users yet: tidings user add NAME')
  for (const u of users)
    console.log(`${u.name}\t${u.id}\t${u.revokedAt === null ? 'active' : `revoked ${new Date(u.revokedAt).toISOString()}`}`)
}

const text = (value: string | boolean | undefined): string | undefined => (typeof value === 'string' ? value : undefined)

const integer = (value: string, what: string): number => {
  if (!/^\d{1,15}$/.test(value)) throw new UsageError(`--${what} must be a whole number, got ${JSON.stringify(value)}`)
  return Number(value)
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) console.error(`tidings: ${err.message}\n\n${USAGE}`)
  else if (err instanceof TidingsError) console.error(`tidings: ${err.message}`)
  else console.error(err)
  process.exitCode = err instanceof UsageError ? 2 : 1
})
