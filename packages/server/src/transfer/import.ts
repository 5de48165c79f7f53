import { assertWithinDrift, type Bundle, type Limits, TidingsError } from '@tidings/protocol'
import { ClientRegistry } from '../auth/clients.js'
import type { Store, StreamSize } from '../store/store.js'
import {
  type ExportHeader,
  type ExportLine,
  FORMAT_VERSION,
  type LineSchemas,
  lineSchemas,
  parseLine,
  type UserLine,
} from './format.js'
import { ImportUsers } from './import-users.js'
import type { NumberedLine } from './ndjson.js'
import { count, type Progress } from './progress.js'

/** Events per batch, roughly as a sync request would carry them (at least one bundle). */
const BATCH_EVENTS = 10_000

export interface ImportOptions {
  lines: AsyncIterable<NumberedLine>
  /** Only this user's bundles; every user's when absent. */
  user?: string
  /** Bundle validation, drift and the batch size (`maxBundlesPerRequest`), as for a push. */
  limits: Limits
  progress?: Progress
  /** Bundles per batch; default `limits.maxBundlesPerRequest`. */
  batchBundles?: number
  now?: () => number
}

export interface ImportSummary extends StreamSize {
  /** Bundles this import stored. */
  added: number
  /** Bundles the database already held (an earlier run of the same import, say). */
  present: number
  /** Bundle lines of other users than `--user`. */
  skipped: number
  /**
   * Users imported (by user line or bundle), those of them this import created (without a
   * token), and those it revoked as the export said.
   */
  users: string[]
  createdUsers: string[]
  revokedUsers: string[]
}

interface Batch {
  user: string
  lines: Array<{ number: number; bundle: Bundle }>
  events: number
}

/** A refusal and the line it is about. */
class LineFailure extends Error {
  constructor(
    readonly line: number,
    readonly error: TidingsError,
  ) {
    super(error.message)
  }
}

/**
 * Stores export lines (format.ts) through the store's normal push: each batch (one user's
 * consecutive bundles) is validated as `POST /v1/sync` validates bundles, its clients are
 * registered to the user, and it is pushed in one transaction. Bad input (the protocol's
 * error code, named with its line number) stops the import: nothing of its batch is stored,
 * earlier batches stay, and running the same import again skips them (pushes are idempotent).
 * Users missing in the database are created without a token (tokens are never exported).
 */
export const importBundles = (store: Store, options: ImportOptions): Promise<ImportSummary> =>
  new ImportRun(store, options).run()

class ImportRun {
  private readonly schemas: LineSchemas
  private readonly clients: ClientRegistry
  private readonly now: () => number
  private readonly batchBundles: number
  private targetUsers: ImportUsers | undefined
  private header: ExportHeader | undefined
  private ended = false
  private batch: Batch | undefined
  private readonly read: StreamSize = { bundles: 0, events: 0 }
  private readonly users = new Set<string>()
  private readonly summary: ImportSummary = {
    bundles: 0,
    events: 0,
    added: 0,
    present: 0,
    skipped: 0,
    users: [],
    createdUsers: [],
    revokedUsers: [],
  }

  constructor(
    private readonly store: Store,
    private readonly options: ImportOptions,
  ) {
    this.schemas = lineSchemas(options.limits)
    this.clients = new ClientRegistry(store)
    this.now = options.now ?? Date.now
    this.batchBundles = options.batchBundles ?? options.limits.maxBundlesPerRequest
  }

  async run(): Promise<ImportSummary> {
    const targetUsers = await ImportUsers.load(this.store)
    this.targetUsers = targetUsers
    let number = 0
    try {
      for await (const line of this.options.lines) {
        number = line.number
        if (line.text.trim() !== '') await this.take(line)
      }
      number++
      if (!this.ended)
        throw new TidingsError(
          'bad_request',
          this.header
            ? "the input ends before the export's end line: the export was cut short"
            : 'the input is empty: not a tidings export',
        )
    } catch (err) {
      throw this.failed(err, number)
    }
    this.summary.users = [...this.users]
    this.summary.createdUsers = [...targetUsers.created]
    this.summary.revokedUsers = [...targetUsers.revoked]
    return this.summary
  }

  private async take(line: NumberedLine): Promise<void> {
    if (!this.header) {
      this.header = this.parseHeader(line.text)
      this.options.progress?.expect({ bundles: this.header.bundles, events: this.header.events })
      return
    }
    const parsed = parseLine(line.text, this.schemas)
    if (this.ended) throw new TidingsError('bad_request', "a line after the export's end line")
    if (parsed.kind === 'header') throw new TidingsError('bad_request', 'a second export header')
    if (parsed.kind === 'end') {
      await this.flush()
      if (parsed.bundles !== this.read.bundles || parsed.events !== this.read.events)
        throw new TidingsError(
          'bad_request',
          `the end line counts ${parsed.bundles} bundles and ${parsed.events} events, but the input held ${this.read.bundles} and ${this.read.events}`,
        )
      this.ended = true
      return
    }
    if (parsed.kind === 'user') return this.takeUser(parsed)
    const events = parsed.bundle.events.length
    this.read.bundles++
    this.read.events += events
    if (this.options.user !== undefined && parsed.user !== this.options.user) {
      this.summary.skipped++
      this.options.progress?.add(1, events)
      return
    }
    assertWithinDrift(parsed.bundle.hlc, this.now(), this.options.limits.maxDriftMs)
    const batch = this.batch
    if (
      batch &&
      (batch.user !== parsed.user ||
        batch.lines.length >= this.batchBundles ||
        batch.events + events > BATCH_EVENTS)
    )
      await this.flush()
    this.batch ??= { user: parsed.user, lines: [], events: 0 }
    this.batch.lines.push({ number: line.number, bundle: parsed.bundle })
    this.batch.events += events
  }

  /** A user line (version 2): the user is created and revoked as it was, bundles or not. */
  private async takeUser(user: UserLine): Promise<void> {
    if (this.options.user !== undefined && user.name !== this.options.user) return
    // A batch read before it is stored first, so a refusal still names what was stored.
    await this.flush()
    await this.targetUsersOrThrow().restore(user)
    this.users.add(user.name)
  }

  private targetUsersOrThrow(): ImportUsers {
    if (!this.targetUsers) throw new TidingsError('internal', 'import users read before run()')
    return this.targetUsers
  }

  /** The first line: an export header, else this is no export (or one of another version). */
  private parseHeader(text: string): ExportHeader {
    const notExport = new TidingsError(
      'bad_request',
      `not a tidings export: the first line must be {"tidings":"export","version":${FORMAT_VERSION},…}`,
    )
    let parsed: ExportLine
    try {
      parsed = parseLine(text, this.schemas)
    } catch (err) {
      // An export header of another version says so; anything else is simply not an export.
      if (text.includes('"tidings":"export"') && err instanceof TidingsError) throw err
      throw notExport
    }
    if (parsed.kind !== 'header') throw notExport
    return parsed
  }

  /** Stores the batch in one push: all of it, or (on any refusal) none of it. */
  private async flush(): Promise<void> {
    const batch = this.batch
    if (!batch) return
    const now = this.now()
    const bundles = batch.lines.map((l) => l.bundle)
    try {
      const userId = await this.targetUsersOrThrow().id(batch.user, now)
      await this.clients.assertOwned(userId, [...new Set(bundles.map((b) => b.client))], now)
      const pushed = await this.store.push({ stream: userId, bundles, now })
      this.summary.added += pushed.added
      this.summary.present += bundles.length - pushed.added
    } catch (err) {
      if (err instanceof TidingsError) throw new LineFailure(lineOfBatch(batch, err), err)
      throw err
    }
    this.batch = undefined
    this.users.add(batch.user)
    this.summary.bundles += bundles.length
    this.summary.events += batch.events
    this.options.progress?.add(bundles.length, batch.events)
  }

  /** The refusal, named with its line and code, and what of the input is stored. */
  private failed(err: unknown, current: number): unknown {
    const failure =
      err instanceof LineFailure
        ? err
        : err instanceof TidingsError
          ? new LineFailure(lineOf(err) ?? current, err)
          : undefined
    if (!failure) return err
    const { line, error } = failure
    const from = this.batch?.lines[0]?.number ?? line
    const stored = this.summary.bundles
    const where =
      stored === 0
        ? 'Nothing was stored.'
        : `Nothing from line ${from} on was stored; the ${count(stored)} bundles before it are, and running the same import again skips them.`
    return new TidingsError(error.code, `line ${line}: ${error.code}: ${error.message}. ${where}`, {
      details: {
        line,
        storedBundles: stored,
        ...(error.details !== undefined && { error: error.details }),
      },
      cause: error,
    })
  }
}

/** The line a reader's refusal names itself (an over-long line). */
const lineOf = (err: TidingsError): number | undefined =>
  (err.details as { line?: number } | undefined)?.line

/** The line of the bundle, event or client a push refused; else the batch's first line. */
const lineOfBatch = (batch: Batch, err: TidingsError): number => {
  const about = (err.details ?? {}) as { bundle?: string; event?: string; client?: string }
  const hit = batch.lines.find(
    ({ bundle }) =>
      bundle.id === about.bundle ||
      bundle.client === about.client ||
      (about.event !== undefined && bundle.events.some((e) => e.id === about.event)),
  )
  return (hit ?? batch.lines[0])?.number ?? 0
}
