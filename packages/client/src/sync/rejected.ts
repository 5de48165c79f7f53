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

const INSERT = `INSERT INTO rejected (bundle, code, message, details, rejected_at, discarded_at)
VALUES (?, ?, ?, ?, ?, NULL)
ON CONFLICT (bundle) DO UPDATE SET code = excluded.code, message = excluded.message,
  details = excluded.details, rejected_at = excluded.rejected_at, discarded_at = NULL`
const LIST =
  'SELECT bundle, code, message, details, rejected_at FROM rejected WHERE discarded_at IS NULL ORDER BY rejected_at, bundle'
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
    const details = error.details === undefined ? null : JSON.stringify(error.details)
    this.store.sql.transaction(() => {
      this.store.sql.run(INSERT, [bundle, error.code, error.message, details, this.now()])
      this.store.dequeue([bundle])
    })
    this.counted = null
  }

  /** The refused bundles not discarded, oldest refusal first. */
  list(): RejectedBundle[] {
    return this.store.sql.all<Row>(LIST).map((row) => ({
      id: row.bundle,
      code: row.code,
      message: row.message,
      ...(row.details === null ? {} : { details: JSON.parse(row.details) as unknown }),
      rejectedAt: Number(row.rejected_at),
      events: this.store.bundle(row.bundle)?.events ?? [],
    }))
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
    // Queued before it leaves the list: a crash in between leaves it listed and queued, and the
    // next push either delivers it or lists it again, never neither.
    this.store.requeue([id])
    this.store.sql.run(FORGET, [id])
    this.counted = null
  }
}

const notRefused = (id: string): TidingsError =>
  new TidingsError('not_found', `bundle ${id} is not among the refused bundles; see rejected()`)
