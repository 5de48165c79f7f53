import { V7Generator } from 'uuidv7'

/**
 * Random bits drawn from the system CSPRNG 1,024 words at a time: the library's default
 * refills every 8 words, a system call per other id when a transaction mints thousands.
 */
/** The Web Crypto API every supported runtime has (Node 20, browsers, workers). */
const webCrypto = (
  globalThis as unknown as { crypto: { getRandomValues(array: Uint32Array): Uint32Array } }
).crypto

class BufferedRandom {
  private readonly buffer = new Uint32Array(1_024)
  private cursor = this.buffer.length

  nextUint32(): number {
    if (this.cursor >= this.buffer.length) {
      webCrypto.getRandomValues(this.buffer)
      this.cursor = 0
    }
    return this.buffer[this.cursor++]!
  }
}

const generator = new V7Generator(new BufferedRandom())

/** Canonical lowercase UUID text, any version. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** A new time-ordered id (UUIDv7) for an entity, event, bundle or client. */
export const newId = (): string => generator.generate().toString()

export const isUuid = (value: string): boolean => UUID_PATTERN.test(value)
