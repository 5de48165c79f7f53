import type { SqlRow } from '../driver/sqlite.js'
import { sameRows } from './objects.js'

interface Observer {
  type: string
  run: () => SqlRow[]
  decode: (rows: SqlRow[]) => unknown[]
  callback: (rows: unknown[]) => void
  last?: SqlRow[]
  active: boolean
}

/**
 * Live queries: each observer re-runs its (indexed) query after a committed change to its
 * type, local or synced, and is called only when the raw rows differ. One commit (a
 * transaction or a pulled page) notifies once.
 */
export class Observers {
  private readonly all = new Set<Observer>()

  constructor(private readonly onError: (error: unknown) => void) {}

  add(
    type: string,
    run: () => SqlRow[],
    decode: (rows: SqlRow[]) => unknown[],
    callback: (rows: unknown[]) => void,
  ): () => void {
    const observer: Observer = { type, run, decode, callback, active: true }
    this.all.add(observer)
    // First call after the caller has its unsubscribe function in hand.
    queueMicrotask(() => this.check(observer))
    return () => {
      observer.active = false
      this.all.delete(observer)
    }
  }

  notify(types: ReadonlySet<string>): void {
    if (types.size === 0) return
    for (const observer of this.all) if (types.has(observer.type)) this.check(observer)
  }

  clear(): void {
    for (const observer of this.all) observer.active = false
    this.all.clear()
  }

  private check(observer: Observer): void {
    if (!observer.active) return
    try {
      const rows = observer.run()
      if (observer.last && sameRows(observer.last, rows)) return
      observer.last = rows
      observer.callback(observer.decode(rows))
    } catch (error) {
      this.onError(error)
    }
  }
}
