import type { Locks } from '../browser/serve-tab.js'

interface Waiter {
  holder: object
  grant: () => void
}

/**
 * Web Locks in memory, for Node tests of the tab code: exclusive locks granted in request order,
 * each held until its callback's promise settles, or until its holder is ended (`end`), which
 * releases every lock that holder held or waited for, as a closed tab's would be.
 */
export class MemoryLocks {
  readonly #held = new Map<string, object>()
  readonly #waiting = new Map<string, Waiter[]>()
  readonly #releases = new Map<object, Set<() => void>>()

  /** The `navigator.locks` of one holder (a tab's worker, or a page). */
  holder(): Locks & { end(): void } {
    const holder = {}
    return {
      request: (name, options, callback) => this.#request(holder, name, options, callback),
      end: () => this.#end(holder),
    }
  }

  #request(
    holder: object,
    name: string,
    options: { ifAvailable?: boolean },
    callback: (lock: unknown) => Promise<void>,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const grant = () => {
        this.#held.set(name, holder)
        let released = false
        const release = () => {
          if (released) return
          released = true
          this.#releases.get(holder)?.delete(release)
          this.#held.delete(name)
          this.#next(name)
        }
        const releases = this.#releases.get(holder) ?? new Set()
        releases.add(release)
        this.#releases.set(holder, releases)
        callback({ name }).then(
          (value) => {
            release()
            resolve(value)
          },
          (error: unknown) => {
            release()
            reject(error)
          },
        )
      }
      if (!this.#held.has(name)) grant()
      else if (options.ifAvailable) callback(null).then(resolve, reject)
      else this.#waiting.set(name, [...(this.#waiting.get(name) ?? []), { holder, grant }])
    })
  }

  #next(name: string): void {
    const waiter = this.#waiting.get(name)?.shift()
    if (waiter) queueMicrotask(waiter.grant)
  }

  #end(holder: object): void {
    for (const [name, waiters] of this.#waiting)
      this.#waiting.set(
        name,
        waiters.filter((waiter) => waiter.holder !== holder),
      )
    for (const release of [...(this.#releases.get(holder) ?? [])]) release()
  }
}
