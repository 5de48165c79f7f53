import { createWriteStream } from 'node:fs'
import { open } from 'node:fs/promises'
import type { Readable, Writable } from 'node:stream'
import { DEFAULT_LIMITS, type Limits, TidingsError } from '@tidings/protocol'
import type { Store } from '../store/store.js'
import type { ExportSummary } from '../transfer/export.js'
import type { ImportSummary } from '../transfer/import.js'
import { TextSink } from '../transfer/ndjson.js'
import { count, DEFAULT_PROGRESS_MS, duration, Progress } from '../transfer/progress.js'

/** The process's raw streams, for commands that move data through them. */
export interface TransferStreams {
  stdin: Readable
  stdout: Writable
  stderr: Writable & { isTTY?: boolean }
}

/** One `tidings export` or `tidings import` command line, parsed. */
export interface TransferCommand {
  db: string
  user: string | undefined
  /** `--out` / `--in`: a path, or `-` for stdout / stdin. */
  file: string
  quiet: boolean
  limits: Partial<Limits>
  env: Record<string, string | undefined>
  /** Where results go (stdout): summaries that are not the data itself. */
  out(text: string): void
  streams: TransferStreams
}

/** `tidings export`: the stored bundles as NDJSON to a file or stdout; progress on stderr. */
export const runExport = async (command: TransferCommand): Promise<void> => {
  const { exportBundles } = await import('../transfer/export.js')
  const file = command.file === '-' ? undefined : createWriteStream(command.file)
  const sink = new TextSink(file ?? command.streams.stdout)
  const progress = progressFor('export', command)
  let summary: ExportSummary
  try {
    summary = await withStore(command.db, (store) =>
      exportBundles(store, {
        ...(command.user !== undefined && { user: command.user }),
        write: (text) => sink.write(text),
        progress,
        ...(command.limits.maxPageBundles !== undefined && {
          pageBundles: command.limits.maxPageBundles,
        }),
      }),
    )
  } catch (err) {
    // The file lacks its end line, so no import mistakes it for a whole export.
    file?.destroy()
    throw err
  } finally {
    progress.finish()
  }
  await sink.close(file !== undefined)
  const line = `exported ${count(summary.bundles)} bundles (${count(summary.events)} events) of ${count(summary.users)} users in ${seconds(progress)}`
  // On stdout the summary would corrupt the data: it goes beside the progress instead.
  if (file === undefined) command.streams.stderr.write(`${line}\n`)
  else command.out(line)
}

/** `tidings import`: stores an export's bundles through the normal push, batch by batch. */
export const runImport = async (command: TransferCommand): Promise<void> => {
  const [{ importBundles }, { readLines }] = await Promise.all([
    import('../transfer/import.js'),
    import('../transfer/ndjson.js'),
  ])
  const limits = { ...DEFAULT_LIMITS, ...command.limits }
  const input = command.file === '-' ? command.streams.stdin : await openInput(command.file)
  const progress = progressFor('import', command)
  let summary: ImportSummary
  try {
    summary = await withStore(command.db, (store) =>
      importBundles(store, {
        lines: readLines(input, limits.maxBodyBytes),
        ...(command.user !== undefined && { user: command.user }),
        limits,
        progress,
      }),
    )
  } finally {
    progress.finish()
    if (command.file !== '-') input.destroy()
  }
  command.out(
    `imported ${count(summary.bundles)} bundles (${count(summary.events)} events) of ${count(summary.users.length)} users in ${seconds(progress)}: ${count(summary.added)} new, ${count(summary.present)} already present`,
  )
  if (summary.skipped > 0)
    command.out(`skipped ${count(summary.skipped)} bundles of users other than ${command.user}`)
  if (summary.createdUsers.length > 0)
    command.out(
      `created ${summary.createdUsers.length} users without a token (${summary.createdUsers.join(', ')}): tokens are never exported, so nobody can sign in as them until you run \`tidings user token NAME\` for each`,
    )
  if (summary.revokedUsers.length > 0)
    command.out(
      `revoked ${summary.revokedUsers.length} users as the export says (${summary.revokedUsers.join(', ')})`,
    )
}

const progressFor = (verb: string, command: TransferCommand): Progress => {
  const { stderr } = command.streams
  const setting = command.env.TIDINGS_PROGRESS_MS
  const everyMs =
    setting !== undefined && /^\d{1,9}$/.test(setting)
      ? Number(setting)
      : stderr.isTTY
        ? DEFAULT_PROGRESS_MS.terminal
        : DEFAULT_PROGRESS_MS.plain
  return new Progress({
    verb,
    output: command.quiet ? { write: () => undefined } : stderr,
    everyMs: command.quiet ? Number.POSITIVE_INFINITY : everyMs,
  })
}

const seconds = (progress: Progress): string =>
  progress.elapsedMs < 10_000
    ? `${(progress.elapsedMs / 1000).toFixed(1)}s`
    : duration(progress.elapsedMs / 1000)

const openInput = async (path: string): Promise<Readable> => {
  try {
    return (await open(path, 'r')).createReadStream()
  } catch (err) {
    throw new TidingsError('not_found', `cannot read ${path}: ${(err as Error).message}`, {
      cause: err,
    })
  }
}

const withStore = async <T>(db: string, fn: (store: Store) => Promise<T>): Promise<T> => {
  const { openStore } = await import('../store/kysely-store.js')
  const store = await openStore(db)
  try {
    return await fn(store)
  } finally {
    await store.close()
  }
}
