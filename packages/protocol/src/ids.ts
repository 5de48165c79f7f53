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

/** Character codes of the lowercase hex digits. */
const HEX_CODES = Array.from('0123456789abcdef', (c) => c.charCodeAt(0))
/** Where the two hex digits of each of the 16 bytes go in the 8-4-4-4-12 text. */
const BYTE_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34]
/** The text's character codes, hyphens in place, reused: each id is one string allocation. */
const codes: number[] = Array.from('00000000-0000-0000-0000-000000000000', (c) => c.charCodeAt(0))

/**
 * A new time-ordered id (UUIDv7) for an entity, event, bundle or client. Formatted here rather
 * than by the library's `toString()`, which appends one character at a time: ~40 intermediate
 * strings per id, a good part of the GC of a transaction that mints thousands.
 */
export const newId = (): string => {
  const bytes = generator.generate().bytes
  for (let i = 0; i < 16; i++) {
    const at = BYTE_AT[i]!
    const byte = bytes[i]!
    codes[at] = HEX_CODES[byte >>> 4]!
    codes[at + 1] = HEX_CODES[byte & 0xf]!
  }
  return String.fromCharCode.apply(null, codes)
}

export const isUuid = (value: string): boolean => UUID_PATTERN.test(value)
