import { TidingsError } from '@tidings/protocol'

/**
 * The unit the database file is saved in: SQLite's default page size, so writing one page
 * dirties one block, and a small write saves a few blocks instead of the whole file.
 */
export const BLOCK = 4096

/** One committed state of the database file, as what changed since the previous one. */
export interface FileChange {
  /** The file's size in bytes after the change. */
  size: number
  /** Block index → the block's `BLOCK` bytes after the change (zero past `size`). */
  blocks: Map<number, Uint8Array>
}

/**
 * Where blocks are saved (IndexedDB in the browser, a map in tests). `save` is all or nothing:
 * the store moves from one committed state of the file to a later one, never to a mix.
 */
export interface BlockStore {
  save(change: FileChange): Promise<void>
}

/** The save side of a database whose commits are saved after they return (IndexedDB). */
export interface Saves {
  /** Resolves once every commit so far is saved; rejects (`not_saved`) if saving it failed. */
  durable(): Promise<void>
  /** Why the last save failed, or null once a save succeeded. */
  readonly failure: TidingsError | null
  /** Called whenever `failure` changes. */
  onFailure(listener: (failure: TidingsError | null) => void): () => void
}

interface Waiter {
  upTo: number
  resolve: () => void
  reject: (error: TidingsError) => void
}

/**
 * Saves committed changes in commit order, one store write at a time; changes committed while
 * a write is under way are merged into the next one. A change whose write failed stays queued
 * (merged with later ones, so the store never skips a commit) and is retried with the next
 * commit or the next `durable()`; its waiters get the error at once, so nothing fails silently.
 */
export class BlockSaver implements Saves {
  #queued: FileChange | null = null
  #writing = false
  /** Commits pushed so far, and how many of them the store holds. */
  #pushed = 0
  #saved = 0
  #failure: TidingsError | null = null
  readonly #waiters: Waiter[] = []
  readonly #listeners = new Set<(failure: TidingsError | null) => void>()
  /** What was handed to the store, for measurements. */
  readonly stats = { writes: 0, bytes: 0 }

  constructor(
    private readonly store: BlockStore,
    private readonly where: string,
  ) {}

  get failure(): TidingsError | null {
    return this.#failure
  }

  onFailure(listener: (failure: TidingsError | null) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Queues one committed change; called synchronously as the commit ends. */
  push(change: FileChange): void {
    this.#queued = this.#queued ? merge(this.#queued, change) : change
    this.#pushed++
    this.#next()
  }

  durable(): Promise<void> {
    if (this.#saved >= this.#pushed) return Promise.resolve()
    return new Promise((resolve, reject) => {
      this.#waiters.push({ upTo: this.#pushed, resolve, reject })
      this.#next()
    })
  }

  /** Resolves when no store write is under way (before letting go of the store). */
  async settled(): Promise<void> {
    while (this.#writing) await this.durable().catch(() => {})
  }

  #next(): void {
    if (this.#writing || !this.#queued) return
    void this.#write(this.#queued, this.#pushed)
  }

  async #write(change: FileChange, upTo: number): Promise<void> {
    this.#queued = null
    this.#writing = true
    this.stats.writes++
    this.stats.bytes += change.blocks.size * BLOCK
    let failed = false
    try {
      await this.store.save(change)
      this.#saved = upTo
      this.#settle(upTo, null)
      this.#setFailure(null)
    } catch (error) {
      failed = true
      this.#queued = this.#queued ? merge(change, this.#queued) : change
      const failure = notSaved(this.where, error)
      this.#settle(upTo, failure)
      this.#setFailure(failure)
    } finally {
      this.#writing = false
    }
    // After a failure only commits made meanwhile (or a `durable()`) try again: a full disk
    // must not turn into a loop of failing writes.
    if (!failed || this.#pushed > upTo) this.#next()
  }

  #settle(upTo: number, failure: TidingsError | null): void {
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const waiter = this.#waiters[i]!
      if (waiter.upTo > upTo) continue
      this.#waiters.splice(i, 1)
      if (failure) waiter.reject(failure)
      else waiter.resolve()
    }
  }

  #setFailure(failure: TidingsError | null): void {
    if (failure === this.#failure) return
    this.#failure = failure
    for (const listener of this.#listeners) listener(failure)
  }
}

/** `later` applied over `earlier`: blocks past the later size are gone with the truncation. */
export function merge(earlier: FileChange, later: FileChange): FileChange {
  const blocks = new Map<number, Uint8Array>()
  const count = Math.ceil(later.size / BLOCK)
  for (const [index, bytes] of earlier.blocks) if (index < count) blocks.set(index, bytes)
  for (const [index, bytes] of later.blocks) blocks.set(index, bytes)
  return { size: later.size, blocks }
}

function notSaved(where: string, error: unknown): TidingsError {
  const reason =
    error instanceof Error ? `${error.name}: ${error.message}` : String(error ?? 'unknown')
  return new TidingsError(
    'not_saved',
    `saving changes to ${where} failed (${reason}). They are kept in memory on this device ` +
      'and saved with the next change; closing the page before then loses them.',
    { details: { storage: where, reason: error instanceof Error ? error.name : 'unknown' } },
  )
}
