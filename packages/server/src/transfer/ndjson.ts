import { once } from 'node:events'
import type { Writable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { TidingsError } from '@tidings/protocol'

/** One line of input and where it was: the number every error names (1-based). */
export interface NumberedLine {
  number: number
  text: string
}

const NEWLINE = 0x0a

/**
 * Splits a byte stream into numbered lines, holding one line at a time: memory stays flat
 * for any file size. A line longer than `maxBytes` is refused (`too_large`) before it is
 * held whole, so a file without newlines cannot exhaust memory. A final line without a
 * newline still counts; `\r\n` endings are accepted.
 */
export async function* readLines(
  input: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  maxBytes: number,
): AsyncGenerator<NumberedLine> {
  let pending: Buffer[] = []
  let pendingBytes = 0
  let number = 0
  const tooLong = (): TidingsError =>
    new TidingsError('too_large', `line ${number + 1} is longer than ${maxBytes} bytes`, {
      details: { line: number + 1 },
    })
  const take = (last: Buffer): NumberedLine => {
    number++
    const bytes = pending.length === 0 ? last : Buffer.concat([...pending, last])
    pending = []
    pendingBytes = 0
    const end = bytes.at(-1) === 0x0d ? bytes.length - 1 : bytes.length
    return { number, text: bytes.toString('utf8', 0, end) }
  }
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    let start = 0
    for (let nl = bytes.indexOf(NEWLINE); nl !== -1; nl = bytes.indexOf(NEWLINE, start)) {
      if (pendingBytes + nl - start > maxBytes) throw tooLong()
      yield take(bytes.subarray(start, nl))
      start = nl + 1
    }
    if (start < bytes.length) {
      pending.push(bytes.subarray(start))
      pendingBytes += bytes.length - start
      if (pendingBytes > maxBytes) throw tooLong()
    }
  }
  if (pendingBytes > 0) yield take(Buffer.alloc(0))
}

/** Writes text to a stream, waiting whenever it asks (backpressure); a stream error throws. */
export class TextSink {
  private failure: Error | undefined
  private readonly onError = (err: Error): void => {
    this.failure ??= err
  }

  constructor(private readonly out: Writable) {
    // Without a listener an EPIPE (`tidings export | head`) would crash the process.
    out.on('error', this.onError)
  }

  async write(text: string): Promise<void> {
    if (this.failure) throw this.failure
    if (!this.out.write(text)) await once(this.out, 'drain')
    if (this.failure) throw this.failure
  }

  /** Ends the stream (a file: flushed and closed) or just waits for what was written. */
  async close(end: boolean): Promise<void> {
    try {
      if (end) {
        this.out.end()
        await finished(this.out)
      } else
        await new Promise<void>((resolve, reject) => {
          this.out.write('', (err) => (err ? reject(err) : resolve()))
        })
      if (this.failure) throw this.failure
    } finally {
      this.out.off('error', this.onError)
    }
  }
}
