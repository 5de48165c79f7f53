import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type SseMessage, SseParser } from './sse-parser.js'

const parse = (chunks: readonly string[]) => {
  const messages: SseMessage[] = []
  const retries: number[] = []
  const parser = new SseParser({
    message: (m) => messages.push(m),
    retry: (ms) => retries.push(ms),
  })
  for (const chunk of chunks) parser.push(chunk)
  return { messages, retries }
}

const message = (data: string, event = 'message', lastEventId = ''): SseMessage => ({
  event,
  data,
  lastEventId,
})

describe('SseParser', () => {
  it('dispatches each data block at its blank line', () => {
    const { messages } = parse(['data: {"cursor":"1"}\n\ndata: {"cursor":"2"}\n\n'])
    expect(messages).toEqual([message('{"cursor":"1"}'), message('{"cursor":"2"}')])
  })

  it('keeps a message without its blank line pending', () => {
    expect(parse(['data: x\n']).messages).toEqual([])
  })

  it('ignores comments, which servers send as heartbeats', () => {
    expect(parse([': heartbeat\n\n: live\n\ndata: x\n\n']).messages).toEqual([message('x')])
  })

  it('joins several data lines with newlines and strips one leading space only', () => {
    expect(parse(['data:a\ndata:  b\ndata\n\n']).messages).toEqual([message('a\n b\n')])
  })

  it('accepts CRLF, LF and CR line ends, even a CRLF split across chunks', () => {
    expect(parse(['data: a\r\n\r\ndata: b\r\rdata: c\n\n']).messages).toEqual([
      message('a'),
      message('b'),
      message('c'),
    ])
    expect(parse(['data: a\r', '\n\r', '\n']).messages).toEqual([message('a')])
  })

  it('does not drop a lone LF chunk after a CRLF that was already whole', () => {
    // "data: a\r" then "\n" completes CRLF; the next "\n" is the blank line.
    expect(parse(['data: a\r', '\n', '\n']).messages).toEqual([message('a')])
  })

  it('names events, remembers the last id and reports retry hints', () => {
    const { messages, retries } = parse([
      'retry: 2500\nid: 7\nevent: poke\ndata: x\n\ndata: y\n\nretry: soon\n',
    ])
    expect(messages).toEqual([message('x', 'poke', '7'), message('y', 'message', '7')])
    expect(retries).toEqual([2500])
  })

  it('drops an event with no data and resets its name', () => {
    expect(parse(['event: poke\n\ndata: x\n\n']).messages).toEqual([message('x')])
  })

  it('strips a byte order mark at the start of the stream only', () => {
    expect(parse(['\ufeffdata: x\n\n']).messages).toEqual([message('x')])
    // Later, the BOM is part of the field name, an unknown field, which is ignored.
    expect(parse(['data: x\n\n', '\ufeffdata: y\n\n']).messages).toEqual([message('x')])
  })

  it('gives the same messages however the stream is cut into chunks', () => {
    const line = fc.oneof(
      fc.constantFrom(': heartbeat', 'event: poke', 'id: 3', 'retry: 100', 'data', ''),
      fc.string({ maxLength: 12 }).map((s) => `data: ${s.replace(/[\r\n]/g, '')}`),
    )
    const stream = fc
      .tuple(fc.array(line, { maxLength: 20 }), fc.constantFrom('\n', '\r\n', '\r'))
      .map(([lines, eol]) => lines.map((l) => l + eol).join(''))
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 10 }), (text, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)
        const chunks: string[] = []
        let from = 0
        for (const point of points) {
          chunks.push(text.slice(from, point))
          from = point
        }
        chunks.push(text.slice(from))
        expect(parse(chunks)).toEqual(parse([text]))
      }),
    )
  })
})
