/** One dispatched Server-Sent Events message. */
export interface SseMessage {
  /** `message` unless the server named it with an `event:` line. */
  event: string
  /** The `data:` lines joined with `\n`. */
  data: string
  /** The last `id:` seen on this stream ('' if none). */
  lastEventId: string
}

export interface SseHandlers {
  message(message: SseMessage): void
  /** A `retry:` line: the server's suggested reconnect delay, ms. */
  retry?(ms: number): void
}

/**
 * An incremental `text/event-stream` parser following the WHATWG HTML "event stream
 * interpretation": lines end in CRLF, LF or CR (a CRLF may be split across chunks), `:` starts
 * a comment, a blank line dispatches, and a message without data is dropped. Feed it decoded
 * text in chunks of any size; it never throws on odd input.
 */
export class SseParser {
  readonly #handlers: SseHandlers
  #buffer = ''
  #started = false
  /** The previous chunk ended in CR: a leading LF in the next one belongs to that line end. */
  #skipLf = false
  #data: string[] = []
  #event = ''
  #lastEventId = ''

  constructor(handlers: SseHandlers) {
    this.#handlers = handlers
  }

  push(chunk: string): void {
    let text = chunk
    if (!this.#started && text.length > 0) {
      this.#started = true
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    }
    if (this.#skipLf && text.length > 0) {
      if (text.startsWith('\n')) text = text.slice(1)
      this.#skipLf = false
    }
    this.#buffer += text
    let start = 0
    for (;;) {
      const end = lineEnd(this.#buffer, start)
      if (end === -1) break
      this.#line(this.#buffer.slice(start, end))
      const isCr = this.#buffer[end] === '\r'
      if (isCr && end + 1 === this.#buffer.length) {
        this.#skipLf = true
        start = end + 1
        break
      }
      start = end + (isCr && this.#buffer[end + 1] === '\n' ? 2 : 1)
    }
    this.#buffer = this.#buffer.slice(start)
  }

  #line(line: string): void {
    if (line === '') {
      this.#dispatch()
      return
    }
    if (line.startsWith(':')) return
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    switch (field) {
      case 'data':
        this.#data.push(value)
        return
      case 'event':
        this.#event = value
        return
      case 'id':
        if (!value.includes('\0')) this.#lastEventId = value
        return
      case 'retry':
        if (/^\d+$/.test(value)) this.#handlers.retry?.(Number(value))
        return
      default:
      // Unknown fields are ignored, as the standard says.
    }
  }

  #dispatch(): void {
    const data = this.#data
    const event = this.#event
    this.#data = []
    this.#event = ''
    if (data.length === 0) return
    this.#handlers.message({
      event: event || 'message',
      data: data.join('\n'),
      lastEventId: this.#lastEventId,
    })
  }
}

const lineEnd = (text: string, from: number): number => {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 10 || c === 13) return i
  }
  return -1
}
