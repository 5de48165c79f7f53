import type { Bundle } from '@tidings/protocol'
import { type Kysely, sql } from 'kysely'
import type { Family } from './dialects/family.js'
import { nothingPushed, pushHashed, type StoredPush } from './push.js'
import { asConflict, dedupe, type Hashed } from './push-plan.js'
import type { Database } from './schema.js'

interface Waiting {
  input: { stream: string; unique: Hashed[]; now: number }
  resolve(result: StoredPush): void
  reject(err: unknown): void
}

/**
 * Group commit for SQLite. With `synchronous=FULL` every COMMIT waits for an fsync (several ms
 * on ordinary disks), and SQLite has one writer, so one transaction per push caps a server at
 * one push per fsync. Instead, the pushes that arrive while a commit is under way wait in a
 * queue and the next transaction stores them all, each inside its own SAVEPOINT so a refused
 * push (conflict) rolls back alone. Nobody is answered before the shared COMMIT returns, so
 * `accepted` still means durable. Pushes of one stream keep their arrival order, so positions
 * are still handed out, and made visible, in order (invariant 4).
 */
export class GroupCommit {
  #queue: Waiting[] = []
  #running = false

  constructor(
    private readonly db: Kysely<Database>,
    private readonly family: Family,
  ) {}

  push(input: { stream: string; bundles: readonly Bundle[]; now: number }): Promise<StoredPush> {
    const unique = dedupe(input.bundles)
    if (unique.length === 0) return Promise.resolve(nothingPushed())
    return new Promise((resolve, reject) => {
      this.#queue.push({ input: { stream: input.stream, unique, now: input.now }, resolve, reject })
      if (!this.#running) {
        this.#running = true
        // Let the requests already read in this turn of the event loop join the first batch.
        setImmediate(() => void this.#drain())
      }
    })
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue
      this.#queue = []
      await this.#commit(batch)
    }
    this.#running = false
  }

  async #commit(batch: Waiting[]): Promise<void> {
    const outcomes: Array<{ ok: StoredPush } | { err: unknown }> = []
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const item of batch) {
          await sql`savepoint push`.execute(trx)
          try {
            outcomes.push({ ok: await pushHashed(trx, this.family, item.input) })
          } catch (err) {
            await sql`rollback to push`.execute(trx)
            outcomes.push({ err: asConflict(err) })
          }
          await sql`release push`.execute(trx)
        }
      })
    } catch (err) {
      // The shared COMMIT (or the transaction itself) failed: nothing of the batch is stored.
      for (const item of batch) item.reject(err)
      return
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]
      if (outcome && 'ok' in outcome) item.resolve(outcome.ok)
      else item.reject(outcome?.err)
    })
  }
}
