/**
 * A small seeded PRNG (mulberry32). Every random choice in this suite draws from one, so a
 * failing run is replayed by its seed alone.
 */
export class Prng {
  private state: number

  constructor(readonly seed: number) {
    this.state = seed >>> 0
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list')
    return items[Math.floor(this.next() * items.length)] as T
  }

  /** A key of `weights` drawn in proportion to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as Array<[K, number]>
    const total = entries.reduce((sum, [, w]) => sum + w, 0)
    let r = this.next() * total
    for (const [key, w] of entries) {
      r -= w
      if (r < 0) return key
    }
    return (entries.at(-1) as [K, number])[0]
  }

  /** An independent generator derived from this one (for a sub-component). */
  fork(): Prng {
    return new Prng(this.int(1, 2 ** 31 - 1))
  }
}

/** The seed from `env` (decimal) or a fresh random one; always printed by the caller. */
export const seedFrom = (value: string | undefined): number =>
  value && /^\d+$/.test(value) ? Number(value) : Math.floor(Math.random() * 2 ** 31)
