import type { Family } from '../store/dialects/family.js'
import { projectStep } from './project.js'
import type { ReadModelSchema } from './schema-file.js'
import { type AnyDb, run } from './sql.js'
import { TypedTables, typedTable } from './typed-tables.js'

/**
 * Keeps the read model in step with the log: a projector that tails each space's bundles after
 * a checkpoint per space, not an update inside the push transaction. Why: a push stays exactly
 * as fast as without a read model (its transaction and its locks are untouched, measured by
 * the bench rows "push … read model on/off"), a failure of the read model can never refuse a
 * push, and the read model is always rebuildable from the log, which stays the only truth.
 * The price is a lag: a push is in the read model shortly after its acknowledgement (the
 * "read-model lag" bench row measures it under load). A push on this node kicks the projector
 * for its spaces at once; pushes on other nodes are found by a poll of the spaces whose head
 * is past their checkpoint.
 */
export interface ProjectorOptions {
  db: AnyDb
  family: Family
  /** The app's schema: typed tables beside the generic ones. */
  schema?: ReadModelSchema | undefined
  /** Bundles per projection step (one transaction); default 200. */
  batch?: number
  /** How often to look for spaces other nodes advanced, ms; default 1000; 0: never. */
  pollMs?: number
  /** Failures of a step (retried on the next kick or poll); the server logs them. */
  onError?: (err: unknown, space: string) => void
  /**
   * Record the lag of each kicked push (from its commit, told by `kick` with its head, until
   * a step reaches that head), for the bench; read with `takeLag()`.
   */
  measureLag?: boolean
  now?: () => number
}

/** Told after each step that advanced a space: its checkpoint is now `seq`. */
export type ProjectedListener = (space: string, seq: number) => void

/** Spaces projected in one transaction (each a handful of rows when many devices push). */
const SPACES_PER_STEP = 64

export class Projector {
  readonly typed: TypedTables | undefined
  private readonly dirty = new Set<string>()
  private running: Promise<void> | undefined
  private timer: NodeJS.Timeout | undefined
  private closed = false
  private readonly listeners = new Set<ProjectedListener>()
  /** With `measureLag`: per space, pushes not projected yet (head, when committed). */
  private readonly waiting = new Map<string, Array<{ head: number; at: number }>>()
  private lags: number[] = []

  constructor(private readonly options: ProjectorOptions) {
    this.typed = options.schema ? new TypedTables(options.family, options.schema) : undefined
  }

  /** Makes the typed tables if the schema changed, then catches up in the background. */
  async start(): Promise<void> {
    await this.typed?.ensure(this.options.db)
    const poll = this.options.pollMs ?? 1000
    if (poll > 0) {
      this.timer = setInterval(() => void this.findBehind(), poll)
      this.timer.unref()
    }
    await this.findBehind()
  }

  /** A space gained bundles (up to `head`): project it soon. */
  kick(space: string, head?: number): void {
    if (this.closed) return
    if (this.options.measureLag && head !== undefined) {
      const list = this.waiting.get(space) ?? []
      list.push({ head, at: performance.now() })
      this.waiting.set(space, list)
    }
    this.dirty.add(space)
    // Postgres runs two steps at once (each on its own pooled connection); SQLite has
    // one writer anyway.
    const lanes = this.options.family === 'postgres' ? 2 : 1
    this.running ??= Promise.all(Array.from({ length: lanes }, () => this.drain()))
      .then(() => undefined)
      .finally(() => {
        this.running = undefined
        if (this.dirty.size > 0 && !this.closed) this.kick([...this.dirty][0]!)
      })
  }

  /** With `measureLag`: the lags (ms) measured since the last call, and pushes still waiting. */
  takeLag(): { lags: number[]; waiting: number } {
    const lags = this.lags
    this.lags = []
    let waiting = 0
    for (const list of this.waiting.values()) waiting += list.length
    return { lags, waiting }
  }

  onProjected(listener: ProjectedListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Resolves once the kicked spaces are projected (kicks meanwhile included). */
  async idle(): Promise<void> {
    while (this.running) await this.running
  }

  /** Projects every space that is behind, until none is (for tests, the CLI and shutdown). */
  async catchUp(): Promise<void> {
    await this.running
    for (const space of await behind(this.options.db, this.options.family))
      await this.project(space)
  }

  /** Stops polling and waits for the step under way. */
  async close(): Promise<void> {
    this.closed = true
    if (this.timer) clearInterval(this.timer)
    await this.running
  }

  /** Projects one space to its head; answers the bundles projected. */
  async project(space: string, onStep?: (bundles: number, seq: number) => void): Promise<number> {
    let total = 0
    for (;;) {
      const { steps, full } = await this.step([space])
      const step = steps.get(space)
      if (!step) return total
      total += step.bundles
      onStep?.(step.bundles, step.seq)
      // A short step reached the head it saw: no second transaction just to find nothing.
      if (!full) return total
    }
  }

  /** One transaction over `spaces`; `full` when it stopped at its bundle limit. */
  private async step(spaces: readonly string[]) {
    const limit = this.options.batch ?? 200
    const steps = await projectStep({
      db: this.options.db,
      family: this.options.family,
      spaces,
      limit,
      typed: this.typed,
      now: (this.options.now ?? Date.now)(),
    })
    let bundles = 0
    const now = performance.now()
    for (const [space, step] of steps) {
      bundles += step.bundles
      const waiting = this.waiting.get(space)
      if (waiting) {
        const left = waiting.filter((w) => w.head > step.seq)
        for (const w of waiting) if (w.head <= step.seq) this.lags.push(now - w.at)
        if (left.length > 0) this.waiting.set(space, left)
        else this.waiting.delete(space)
      }
      for (const listener of this.listeners) listener(space, step.seq)
    }
    return { steps, full: bundles >= limit }
  }

  /** Takes up to `SPACES_PER_STEP` dirty spaces per transaction until none is left. */
  private async drain(): Promise<void> {
    while (this.dirty.size > 0 && !this.closed) {
      const spaces: string[] = []
      for (const space of this.dirty) {
        spaces.push(space)
        if (spaces.length === SPACES_PER_STEP) break
      }
      for (const space of spaces) this.dirty.delete(space)
      try {
        // Cut off by the limit: the spaces it reached may have more, the others were not read.
        const { full } = await this.step(spaces)
        if (full) for (const space of spaces) this.dirty.add(space)
      } catch (err) {
        // Retried at the next kick or poll; one report for the step, naming its spaces.
        this.options.onError?.(err, spaces.join(','))
      }
    }
  }

  /**
   * Forgets the read model of spaces whose log is gone (a deleted user's private space and the
   * shared spaces it alone was in): the read model never shows what the log no longer holds.
   */
  async sweep(): Promise<string[]> {
    const { db, family } = this.options
    const gone = (
      await run<{ space: string }>(
        db,
        family,
        `SELECT c.space FROM read_model_checkpoints c LEFT JOIN streams s ON s.stream = c.space
WHERE s.stream IS NULL`,
      )
    ).map((r) => r.space)
    for (const space of gone)
      await db.transaction().execute(async (trx) => {
        const tables = ['read_model_registers', 'read_model_entities', 'read_model_checkpoints']
        for (const type of Object.keys(this.typed?.schema.types ?? {}))
          tables.push(typedTable(family, type))
        for (const table of tables)
          await run(trx, family, `DELETE FROM ${table} WHERE space = ?`, [space])
      })
    return gone
  }

  private async findBehind(): Promise<void> {
    if (this.closed) return
    try {
      await this.sweep()
      for (const space of await behind(this.options.db, this.options.family)) this.kick(space)
    } catch (err) {
      this.options.onError?.(err, '*')
    }
  }
}

/** Spaces whose head is past their checkpoint (one indexed pass over the stream counters). */
export const behind = async (db: AnyDb, family: Family): Promise<string[]> =>
  (
    await run<{ stream: string }>(
      db,
      family,
      `SELECT s.stream FROM streams s LEFT JOIN read_model_checkpoints c ON c.space = s.stream
WHERE s.last_seq > coalesce(c.seq, 0)`,
    )
  ).map((r) => r.stream)
