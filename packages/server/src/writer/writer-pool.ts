import type { Limits, Schema } from '@tidings/protocol'
import type { Store } from '../store/store.js'
import { openServerWriter, type ServerWriter } from './server-writer.js'

/** The writer name `POST /v1/spaces/:space/writes` writes under, for every service user. */
export const HTTP_WRITER = 'http'

/**
 * The writes route's writers, one per service user, opened on its first request. Every server
 * node opens the same writer (`http`) of a user, which is safe: HLCs are reserved in the
 * database (see `store/writers/writers.ts`), so nodes sharing it never issue one twice.
 */
export class WriterPool {
  private readonly writers = new Map<string, Promise<ServerWriter>>()

  constructor(
    private readonly store: Store,
    /** The app's schema, when the server was given one. */
    readonly schema: Schema | undefined,
    private readonly limits: Limits,
    private readonly now: () => number,
  ) {}

  /** The user's writer (by id). */
  of(user: string): Promise<ServerWriter> {
    let writer = this.writers.get(user)
    if (!writer) {
      writer = openServerWriter({
        store: this.store,
        ...(this.schema && { schema: this.schema }),
        user,
        name: HTTP_WRITER,
        limits: this.limits,
        now: this.now,
      })
      // A failed open (the database was down) is tried again by the next request.
      writer.catch(() => this.writers.delete(user))
      this.writers.set(user, writer)
    }
    return writer
  }
}
