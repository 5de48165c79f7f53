/**
 * A deterministic stand-in for the `uuidv7` package's generator, which reads `Date.now()` and
 * the system CSPRNG: every sim test file mocks `uuidv7` with this module (`vi.mock`), so the
 * ids a schedule mints (clients, entities, events, bundles, users) depend on its seed alone.
 * Ids stay valid UUIDv7 text: 48 bits of simulated time, version and variant bits, and a
 * counter that `resetIds` starts over for each schedule (unique within a schedule).
 */
let clock: () => number = () => 0
let counter = 0

/** Starts a schedule's ids: stamped with `now` (the simulated time), counted from 1. */
export const resetIds = (now: () => number): void => {
  clock = now
  counter = 0
}

export class V7Generator {
  generate(): { bytes: Uint8Array } {
    const bytes = new Uint8Array(16)
    let ms = Math.max(0, Math.floor(clock()))
    for (let i = 5; i >= 0; i--) {
      bytes[i] = ms % 256
      ms = Math.floor(ms / 256)
    }
    bytes[6] = 0x70
    bytes[8] = 0x80
    counter += 1
    for (let i = 15, n = counter; i >= 9; i--) {
      bytes[i] = n % 256
      n = Math.floor(n / 256)
    }
    return { bytes }
  }
}
