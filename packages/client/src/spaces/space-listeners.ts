import type { Space } from '@tidings/protocol'

/**
 * Callbacks on the device's list of spaces (`observeSpaces`): each is called at once and then
 * whenever the list differs from what it last got (a sync's membership news, a space created,
 * joined or left). The list is a handful of rows, so it is read again on every change and
 * compared whole.
 */
export class SpaceListeners {
  private readonly all = new Set<(spaces: Space[]) => void>()
  private last = ''

  constructor(
    private readonly read: () => Space[],
    private readonly onError: (error: unknown) => void,
  ) {}

  add(callback: (spaces: Space[]) => void): () => void {
    this.all.add(callback)
    queueMicrotask(() => {
      if (!this.all.has(callback)) return
      const spaces = this.read()
      this.last = JSON.stringify(spaces)
      this.call(callback, spaces)
    })
    return () => {
      this.all.delete(callback)
    }
  }

  /** Reads the list again and calls every listener if it changed. */
  check(): void {
    if (this.all.size === 0) return
    const spaces = this.read()
    const text = JSON.stringify(spaces)
    if (text === this.last) return
    this.last = text
    for (const callback of this.all) this.call(callback, spaces)
  }

  clear(): void {
    this.all.clear()
  }

  private call(callback: (spaces: Space[]) => void, spaces: Space[]): void {
    try {
      callback(spaces)
    } catch (error) {
      this.onError(error)
    }
  }
}
