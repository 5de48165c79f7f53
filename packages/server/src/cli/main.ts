import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { TidingsError } from '@tidings/protocol'
import { DEFAULT_DB, DEFAULT_PORT } from '../defaults.js'
import { parseCorsOrigins } from '../http/cors-origins.js'
import type { RunningServer } from '../server.js'
import type { Store } from '../store/store.js'
import { SERVER_VERSION } from '../version.js'
import { COMPACT_HELP, COMPACT_USAGE, compactTarget, parseDuration } from './compact-command.js'
import { JWT_USAGE, jwtIssuersFromFlag } from './jwt-config-flag.js'
import { LIMIT_FLAGS, limitsFromFlags } from './limit-flags.js'
import { MIN_SCHEMA_VERSION_USAGE, minSchemaVersionFromFlag } from './min-schema-version-flag.js'
import { RATE_LIMIT_USAGE, rateLimitFromFlag } from './rate-limit-flag.js'
import { READ_MODEL_HELP, READ_MODEL_USAGE } from './read-model-commands.js'
import { SPACE_HELP, SPACE_USAGE } from './space-commands.js'
import type { TransferStreams } from './transfer-commands.js'
import { TRUST_PROXY_USAGE, trustProxyFromFlag } from './trust-proxy-flag.js'
import type { UserCommand } from './user-commands.js'
import { USER_DELETE_HELP } from './user-delete.js'

export const USAGE = `Usage:
  tidings --version
  tidings init [DIR]
  tidings serve [--port ${DEFAULT_PORT}] [--host 127.0.0.1] [--db URL] [--static DIR] [--demo] [--schema FILE] [--no-read-model] [--quiet] [--max-body-bytes N] ...
  tidings user add NAME [--db URL] [--json]
  tidings user list [--db URL] [--json]
  tidings user revoke NAME [--db URL]
  tidings user token NAME [--db URL] [--json]
  tidings user delete NAME [--yes] [--db URL] [--json]
${SPACE_USAGE}
${READ_MODEL_USAGE}
  tidings backup --db sqlite:PATH --out FILE [--quiet]
  tidings export [--db URL] [--user NAME] [--out FILE|-] [--quiet]
  tidings import [--db URL] [--in FILE|-] [--user NAME] [--quiet] [--max-events-per-bundle N] ...
${COMPACT_USAGE}

init writes a starter app (schema, worker, React page, Vite config) into DIR (default .),
     keeping files that exist, and prints the commands that install and run it.
--db (or TIDINGS_DB): memory | sqlite:PATH | postgres://... | pglite:memory | pglite:DIR
     (default ${DEFAULT_DB}); --port (or PORT; 0 picks a free port).
Limits (or TIDINGS_MAX_BODY_BYTES etc.): ${Object.keys(LIMIT_FLAGS)
  .map((f) => `--${f}`)
  .join(' ')}
--demo is an insecure demo mode: users "demo" and "friend" with public tokens (/config.json).
Behind a transaction-mode pooler (PgBouncer pool_mode=transaction), add ?pooler=transaction to
     the Postgres URL and give --listen-db URL (or TIDINGS_LISTEN_DB) a direct Postgres URL for
     live pokes (LISTEN needs a session), or --listen-db none on a single node.
--cors-origin ORIGINS (or TIDINGS_CORS_ORIGIN): origins whose pages may call the API from a
     browser, comma-separated (https://app.example.com), or * for any (development); default none.
${RATE_LIMIT_USAGE}
${TRUST_PROXY_USAGE}
${MIN_SCHEMA_VERSION_USAGE}
${JWT_USAGE}
user token gives a user a new token (the old one stops working) and prints it once.
${USER_DELETE_HELP}
${SPACE_HELP}
${READ_MODEL_HELP}
backup copies a SQLite database consistently while a server keeps serving it (SQLite's online
     backup API; progress on stderr). To restore: stop the server, put the copy in place of the
     file, start the server; clients then pull again and push back what the copy lacks. For
     Postgres use pg_dump.

export writes the users and their stored bundles (of --user NAME, or of every user) as NDJSON:
a header line, a {"tidings":"user",...} line per user (with or without bundles, and whether
revoked), {"user":NAME,"bundle":{...}} lines (each user's in stream order), an end line.
Tokens are never exported; revocations are, and import restores them. Progress goes to stderr (every TIDINGS_PROGRESS_MS ms; --quiet: none).
import stores such a file (of --user NAME only, if given) through the normal push path, in
batches of up to --max-bundles-per-request bundles, each one transaction. A bad line stops
it with its line number and error code, exit code 1: nothing of that line's batch is stored,
earlier batches stay, and running the same import again skips what is stored (new and
already present bundles are counted apart). Users missing in the target database are
created without a token: nobody can sign in as them until \`tidings user token NAME\`.
Moving databases: tidings export --db sqlite:./tidings.db | tidings import --db postgres://...
${COMPACT_HELP}`

/** Where the CLI writes and what it reads: the real process, or a test's buffers. */
export interface CliIo {
  out(text: string): void
  err(text: string): void
  env: Record<string, string | undefined>
  /** Raw streams for export and import (data, progress); the process's own when absent. */
  streams?: TransferStreams
}

export interface CliOutcome {
  /** The process exit code; 0 for a server that is now running. */
  code: number
  /** Set by `serve`: the caller owns it (signals, close). */
  server?: RunningServer
}

/** Bad command-line input: a message and exit code 2, no stack trace. */
class UsageError extends Error {}

const options = {
  port: { type: 'string' },
  host: { type: 'string' },
  db: { type: 'string' },
  static: { type: 'string' },
  demo: { type: 'boolean' },
  'rate-limit': { type: 'string' },
  'trust-proxy': { type: 'string' },
  'min-schema-version': { type: 'string' },
  'jwt-config': { type: 'string' },
  'cors-origin': { type: 'string' },
  'listen-db': { type: 'string' },
  schema: { type: 'string' },
  'no-read-model': { type: 'boolean' },
  version: { type: 'boolean' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  user: { type: 'string' },
  in: { type: 'string' },
  out: { type: 'string' },
  yes: { type: 'boolean' },
  space: { type: 'string' },
  'older-than': { type: 'string' },
  horizon: { type: 'string' },
  batch: { type: 'string' },
  'compact-every': { type: 'string' },
  'compact-older-than': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...Object.fromEntries(Object.keys(LIMIT_FLAGS).map((flag) => [flag, { type: 'string' }])),
} as const

type Values = Record<string, string | boolean | undefined>

/**
 * Runs one `tidings` command line. Heavy modules load only for the command that needs them, so
 * `tidings user add` starts quickly.
 */
export const runTidings = async (argv: string[], io: CliIo): Promise<CliOutcome> => {
  try {
    return await run(argv, io)
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`tidings: ${err.message}\n\n${USAGE}`)
      return { code: 2 }
    }
    if (err instanceof TidingsError) {
      io.err(`tidings: ${err.message}`)
      return { code: 1 }
    }
    throw err
  }
}

const run = async (argv: string[], io: CliIo): Promise<CliOutcome> => {
  let parsed: { values: Values; positionals: string[] }
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const { values, positionals } = parsed
  const [command, sub, name, ...rest] = positionals
  if (values.help) {
    io.out(USAGE)
    return { code: 0 }
  }
  if (values.version) {
    io.out(`tidings ${SERVER_VERSION}`)
    return { code: 0 }
  }
  if (command === undefined) throw new UsageError('missing command')
  const db = text(values.db) ?? io.env.TIDINGS_DB ?? DEFAULT_DB
  if (command === 'serve') {
    if (sub !== undefined)
      throw new UsageError(`serve takes no arguments, got ${JSON.stringify(sub)}`)
    return { code: 0, server: await serve(values, db, io) }
  }
  if (command === 'init') {
    if (name !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(name)}`)
    const { nextSteps, writeStarter } = await import('./init.js')
    const dir = resolve(sub ?? '.')
    io.out(nextSteps(dir, await writeStarter(dir)))
    return { code: 0 }
  }
  if (command === 'backup') {
    if (sub !== undefined)
      throw new UsageError(`backup takes no arguments, got ${JSON.stringify(sub)}`)
    const out = text(values.out)
    if (out === undefined) throw new UsageError('backup needs --out FILE')
    const { backupSqlite } = await import('./backup.js')
    let last = 0
    const started = Date.now()
    const { pages } = await backupSqlite({
      db,
      out,
      progress: (done, total) => {
        if (values.quiet || Date.now() - last < 1_000) return
        last = Date.now()
        io.err(`backup: ${done}/${total} pages (${Math.floor((100 * done) / Math.max(1, total))}%)`)
      },
    })
    io.out(`backed up ${pages} pages to ${out} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    return { code: 0 }
  }
  if (command === 'export' || command === 'import') {
    if (sub !== undefined)
      throw new UsageError(`${command} takes no arguments, got ${JSON.stringify(sub)}`)
    await transfer(command, values, db, io)
    return { code: 0 }
  }
  if (command === 'read-model') {
    if (sub !== 'rebuild') throw new UsageError('read-model needs rebuild')
    if (name !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(name)}`)
    const { readModelSchema, rebuildCommand } = await import('./read-model-commands.js')
    await rebuildCommand({
      db,
      space: text(values.space),
      schema: await readModelSchema(text(values.schema), (m) => new UsageError(m)),
      quiet: values.quiet === true,
      out: io.out,
      err: io.err,
    })
    return { code: 0 }
  }
  if (command === 'compact') {
    if (sub !== undefined)
      throw new UsageError(`compact takes no arguments, got ${JSON.stringify(sub)}`)
    const target = compactTarget(
      { olderThan: text(values['older-than']), horizon: text(values.horizon) },
      (m) => new UsageError(m),
    )
    const batch = text(values.batch)
    const batchSize = batch === undefined ? undefined : integer(batch, 'batch')
    if (batchSize === 0) throw new UsageError('--batch must be at least 1')
    const { runCompact } = await import('./compact-command.js')
    await withStore(db, async (store) => {
      await runCompact(store, {
        options: {
          ...target,
          ...(text(values.space) !== undefined && { space: text(values.space) as string }),
          ...(batchSize !== undefined && { batch: batchSize }),
        },
        quiet: values.quiet === true,
        env: io.env,
        err: io.err,
        out: io.out,
        ...(io.streams?.stderr.isTTY !== undefined && { isTTY: io.streams.stderr.isTTY }),
      })
    })
    return { code: 0 }
  }
  if (command === 'space') {
    const { spaceCommand, runSpaceCommand } = await import('./space-commands.js')
    const usage = (message: string) => new UsageError(message)
    const space = spaceCommand({ sub, args: [name, ...rest], values, out: io.out, usage })
    await withStore(db, (store) => runSpaceCommand(store, space))
    return { code: 0 }
  }
  if (command !== 'user') throw new UsageError(`unknown command ${JSON.stringify(command)}`)
  if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`)
  if (sub !== 'add' && sub !== 'revoke' && sub !== 'list' && sub !== 'token' && sub !== 'delete')
    throw new UsageError('user needs add NAME, list, token NAME, revoke NAME or delete NAME')
  if (sub !== 'list' && name === undefined) throw new UsageError(`user ${sub} needs a NAME`)
  const { runUserCommand } = await import('./user-commands.js')
  const user: UserCommand = {
    sub,
    name,
    json: values.json === true,
    yes: values.yes === true,
    out: io.out,
    err: io.err,
  }
  let code = 0
  await withStore(db, async (store) => {
    code = await runUserCommand(store, user)
  })
  return { code }
}

const serve = async (values: Values, db: string, io: CliIo): Promise<RunningServer> => {
  const port = integer(text(values.port) ?? io.env.PORT ?? String(DEFAULT_PORT), 'port')
  if (port > 65_535) throw new UsageError(`--port ${port} is out of range`)
  const limits = limitsFromFlags(values, (flag, value) => integer(value, flag), io.env)
  const rateLimit = rateLimitFromFlag(values['rate-limit'], io.env, (m) => new UsageError(m))
  const trustProxy = trustProxyFromFlag(values['trust-proxy'], io.env, (m) => new UsageError(m))
  const minSchemaVersion = minSchemaVersionFromFlag(
    values['min-schema-version'],
    io.env,
    (m) => new UsageError(m),
  )
  const jwtIssuers = await jwtIssuersFromFlag(
    values['jwt-config'],
    io.env,
    (m) => new UsageError(m),
  )
  const corsText = text(values['cors-origin']) ?? io.env.TIDINGS_CORS_ORIGIN
  let cors: ReturnType<typeof parseCorsOrigins> | undefined
  try {
    cors = corsText === undefined ? undefined : parseCorsOrigins(corsText)
  } catch (error) {
    throw new UsageError(`--cors-origin: ${(error as Error).message}`)
  }
  const listenDb = text(values['listen-db']) ?? io.env.TIDINGS_LISTEN_DB
  const { readModelSchema } = await import('./read-model-commands.js')
  const schemaFile = text(values.schema) ?? io.env.TIDINGS_SCHEMA
  if (values['no-read-model'] === true && schemaFile !== undefined)
    throw new UsageError("--schema describes the read model's typed tables: drop --no-read-model")
  const schema = await readModelSchema(schemaFile, (m) => new UsageError(m))
  const compaction = compactSchedule(values)
  const { startServer } = await import('../server.js')
  const { appSchemaOf } = await import('../read-model/app-schema.js')
  const server = await startServer({
    db,
    port,
    host: text(values.host) ?? '127.0.0.1',
    limits,
    logger: values.quiet ? false : { level: io.env.LOG_LEVEL ?? 'info' },
    ...(text(values.static) !== undefined && { static: text(values.static) as string }),
    ...(values.demo === true && { demo: true }),
    ...(rateLimit !== undefined && { rateLimit }),
    ...(trustProxy !== undefined && { trustProxy }),
    ...(minSchemaVersion !== undefined && { minSchemaVersion }),
    ...(jwtIssuers !== undefined && { jwtIssuers }),
    ...(cors !== undefined && { cors }),
    ...(listenDb !== undefined && { listenDb }),
    readModel: values['no-read-model'] === true ? false : { ...(schema && { schema }) },
    // The same file types the writes route's checks (POST /v1/spaces/:space/writes).
    ...(schema && { schema: appSchemaOf(schema) }),
    ...(compaction !== undefined && { compaction }),
  })
  io.out(`Tidings listening on ${server.url}`)
  return server
}

/** `serve --compact-every 24h --compact-older-than 30d`: both or neither, each a valid age. */
const compactSchedule = (values: Values): { everyMs: number; olderThanMs: number } | undefined => {
  const every = text(values['compact-every'])
  const olderThan = text(values['compact-older-than'])
  if (every === undefined && olderThan === undefined) return undefined
  if (every === undefined || olderThan === undefined)
    throw new UsageError('--compact-every and --compact-older-than go together (e.g. 24h and 30d)')
  const everyMs = parseDuration(every)
  const olderThanMs = parseDuration(olderThan)
  if (everyMs === null || everyMs < 60_000)
    throw new UsageError(
      `--compact-every must be an age of at least 1m, like 24h or 30m, got ${JSON.stringify(every)}`,
    )
  if (olderThanMs === null)
    throw new UsageError(
      `--compact-older-than must be an age like 30d or 12h, got ${JSON.stringify(olderThan)}`,
    )
  return { everyMs, olderThanMs }
}

const transfer = async (
  command: 'export' | 'import',
  values: Values,
  db: string,
  io: CliIo,
): Promise<void> => {
  const commands = await import('./transfer-commands.js')
  const file = text(command === 'export' ? values.out : values.in) ?? '-'
  await (command === 'export' ? commands.runExport : commands.runImport)({
    db,
    user: text(values.user),
    file,
    quiet: values.quiet === true,
    limits: limitsFromFlags(values, (flag, value) => integer(value, flag), io.env),
    env: io.env,
    out: io.out,
    streams: io.streams ?? {
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
    },
  })
}

const withStore = async (db: string, fn: (store: Store) => Promise<void>): Promise<void> => {
  const { openStore } = await import('../store/kysely-store.js')
  const store = await openStore(db)
  try {
    await fn(store)
  } finally {
    await store.close()
  }
}

const text = (value: string | boolean | undefined): string | undefined =>
  typeof value === 'string' ? value : undefined

const integer = (value: string, what: string): number => {
  if (!/^\d{1,15}$/.test(value))
    throw new UsageError(`--${what} must be a whole number, got ${JSON.stringify(value)}`)
  return Number(value)
}
