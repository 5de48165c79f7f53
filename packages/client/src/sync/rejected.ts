import { type ErrorCode, type Event, TidingsError } from '@tidings/protocol'
import type { Store } from '../store/store.js'

/** A local bundle the server refused for good, as `client.rejected()` lists it. */
export interface RejectedBundle {
  /** The bundle id. */
  id: string
  /** The server's error code (`conflict`, `bad_request`, `too_large`). */
  code: ErrorCode
  message: string
  details?: unknown
  /** When the refusal came, epoch ms (device clock). */
  rejectedAt: number
  /** The refused writes: still in the local log and still visible on this device. */
  events: Event[]
}

const INSERT = `INSERT INTO rejected (bundle, code, message, details, rejected_at, discarded_at, content)
VALUES (?, ?, ?, ?, ?, NULL, ?)
ON CONFLICT (bundle) DO UPDATE SET code = excluded.code, message = excluded.message,
  details = excluded.details, rejected_at = excluded.rejected_at, discarded_at = NULL,
  content = coalesce(excluded.content, rejected.content)`
const LIST =
  'SELECT bundle, code, message, details, rejected_at, content FROM rejected WHERE discarded_at IS NULL ORDER BY rejected_at, bundle'
/** Refused bundles of a space, listed or discarded, whose rows are about to go. */
const OF_SPACE =
  'SELECT r.bundle FROM rejected r JOIN bundles b ON b.id = r.bundle WHERE b.space = ? AND r.content IS NULL'
const KEEP_CONTENT = 'UPDATE rejected SET content = ? WHERE bundle = ?'
const COUNT = 'SELECT count(*) AS n FROM rejected WHERE discarded_at IS NULL'
const ALL_IDS = 'SELECT bundle FROM rejected'
const DISCARD = 'UPDATE rejected SET discarded_at = ? WHERE bundle = ? AND discarded_at IS NULL'
const LISTED = 'SELECT 1 AS listed FROM rejected WHERE bundle = ? AND discarded_at IS NULL'
const FORGET = 'DELETE FROM rejected WHERE bundle = ? AND discarded_at IS NULL'

interface Row {
  bundle: string
  code: ErrorCode
  message: string
  details: string | null
  rejected_at: number
  content: string | null
}

/**
 * The bundles the server refused for good, kept in the local database (table `rejected`).
 *
 * A refused bundle leaves the outbox so the bundles after it still sync; its events stay in the
 * local log, so its changes stay visible on this device only, and it is reported here until the
 * app discards or retries it. Discarding keeps that rule (the changes stay local, nothing is
 * undone) and only stops the reporting; the row stays, so `verify` never queues the bundle again.
 */
export class RejectedBundles {
  private counted: number | null = null

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  /** Moves `bundle` out of the outbox into the rejected list, in one transaction. */
  reject(bundle: string, error: TidingsError): void {
    this.store.sql.transaction(() => this.rejectInTx(bundle, error, false))
  }

  /**
   * `reject` inside the caller's transaction. With `keep`, the bundle's content is copied into
   * the list first: its own rows are about to be deleted (its space was lost, or a refusal as
   * `forbidden` undoes it), and `rejected()` must still show every write never delivered.
   */
  rejectInTx(bundle: string, error: TidingsError, keep: boolean): void {
    const details = error.details === undefined ? null : JSON.stringify(error.details)
    const content = keep ? this.contentOf(bundle) : null
    this.store.sql.run(INSERT, [bundle, error.code, error.message, details, this.now(), content])
    this.store.dequeue([bundle])
    this.counted = null
  }

  /** Copies out the content of the space's refused bundles before the space's rows go (in the caller's transaction). */
  keepContentOfSpace(space: string): void {
    for (const { bundle } of this.store.sql.all<{ bundle: string }>(OF_SPACE, [space]))
      this.store.sql.run(KEEP_CONTENT, [this.contentOf(bundle), bundle])
  }

  private contentOf(bundle: string): string | null {
    const found = this.store.bundle(bundle)
    if (!found) return null
    const { part: _, ...content } = found
    return JSON.stringify(content)
  }

  /** The refused bundles not discarded, oldest refusal first. */
  list(): RejectedBundle[] {
    return this.store.sql.all<Row>(LIST).map((row) => ({
      id: row.bundle,
      code: row.code,
      message: row.message,
      ...(row.details === null ? {} : { details: JSON.parse(row.details) as unknown }),
      rejectedAt: Number(row.rejected_at),
      events:
        row.content === null
          ? (this.store.bundle(row.bundle)?.events ?? [])
          : (JSON.parse(row.content) as { events: Event[] }).events,
    }))
  }

  /** Forgets the cached count (the store was wiped under it). */
  recount(): void {
    this.counted = null
  }

  /** How many refused bundles await the app's decision (cached: asked on every status change). */
  count(): number {
    this.counted ??= Number(this.store.sql.one<{ n: number }>(COUNT)?.n ?? 0)
    return this.counted
  }

  /** Every bundle ever refused, discarded ones included: `verify` must not push them again. */
  ids(): Set<string> {
    return new Set(this.store.sql.all<{ bundle: string }>(ALL_IDS).map((r) => r.bundle))
  }

  /** Stops reporting a refused bundle; its changes stay on this device. Throws `not_found`. */
  discardOrThrow(id: string): void {
    if (this.store.sql.run(DISCARD, [this.now(), id]) === 0) throw notRefused(id)
    this.counted = null
  }

  /**
   * Queues a refused bundle again, at the end of the outbox, unchanged (worth it once the server
   * takes it: raised limits, a fixed validator). Throws `not_found`.
   */
  retryOrThrow(id: string): void {
    if (!this.store.sql.one(LISTED, [id])) throw notRefused(id)
    if (!this.store.hasBundle(id))
      throw new TidingsError(
        'forbidden',
        `bundle ${id} was undone on this device (its space was left, or your role there no longer lets you write): it cannot be sent again; discard it, or write its changes anew`,
      )
    // Queued before it leaves the list: a crash in between leaves it listed and queued, and the
    // next push either delivers it or lists it again, never neither.
    this.store.requeue([id])
    this.store.sql.run(FORGET, [id])
    this.counted = null
  }
}

const notRefused = (id: string): TidingsError =>
  new TidingsError('not_found', `bundle ${id} is not among the refused bundles; see rejected()`)
