/**
 * The greatest history horizon of the owner's client, for the pages that follow it (the
 * `observe-horizon` stream): an `asOf` view made on a page reports `truncatedBefore` from it
 * synchronously, as in Node. Horizons move by `truncateLog` and by a sync pulling the server's
 * compaction horizons, so the host checks after each `truncateLog` and each status change (a
 * sync ends with one); a check is one small read of `sync_state`, and only while followed.
 */
export class HorizonStream {
  #horizon: string | null = null
  readonly #listeners = new Set<(horizon: string | null) => void>()

  constructor(
    /** Reads the greatest horizon now (null while no history was cut). */
    private readonly read: () => string | null,
  ) {}

  /** The greatest horizon now; the last one read once the client is closed. */
  current(): string | null {
    try {
      return this.read()
    } catch {
      return this.#horizon
    }
  }

  /** Tells the followers if the horizon moved. */
  check(): void {
    if (this.#listeners.size === 0) return
    const horizon = this.current()
    if (horizon === this.#horizon) return
    this.#horizon = horizon
    for (const listener of this.#listeners) listener(horizon)
  }

  /** `listener` hears the horizon now, then on each change. */
  follow(listener: (horizon: string | null) => void): () => void {
    if (this.#listeners.size === 0) this.#horizon = this.current()
    this.#listeners.add(listener)
    listener(this.#horizon)
    return () => {
      this.#listeners.delete(listener)
    }
  }
}
