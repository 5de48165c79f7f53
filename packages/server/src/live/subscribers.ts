import type { LiveListener, LivePoke } from './hub.js'

/** Listeners keyed by stream; both hubs deliver through it. */
export class Subscribers {
  readonly #byStream = new Map<string, Set<LiveListener>>()
  #count = 0

  get count(): number {
    return this.#count
  }

  add(stream: string, listener: LiveListener): () => void {
    let set = this.#byStream.get(stream)
    if (!set) {
      set = new Set()
      this.#byStream.set(stream, set)
    }
    set.add(listener)
    this.#count++
    return () => {
      if (!set.delete(listener)) return
      this.#count--
      if (set.size === 0 && this.#byStream.get(stream) === set) this.#byStream.delete(stream)
    }
  }

  poke({ stream, cursor }: LivePoke): void {
    const set = this.#byStream.get(stream)
    // A copy: a listener may unsubscribe (its socket closed) while we deliver.
    if (set) for (const listener of [...set]) listener.poke(cursor)
  }

  lostAll(): void {
    for (const set of [...this.#byStream.values()]) for (const listener of [...set]) listener.lost()
  }
}
