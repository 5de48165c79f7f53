import { PassThrough, Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { type NumberedLine, readLines, TextSink } from './ndjson.js'

const linesOf = async (chunks: Array<string | Buffer>, maxBytes = 1_000) => {
  const out: NumberedLine[] = []
  for await (const line of readLines(chunks, maxBytes)) out.push(line)
  return out
}

describe('reading NDJSON', () => {
  it('numbers lines split anywhere across chunks, even inside a UTF-8 character', async () => {
    const bytes = Buffer.from('{"a":"日本"}\n\n{"b":2}\r\n{"c":3}')
    const chunks = [...bytes].map((b) => Buffer.from([b])) // one byte at a time
    expect(await linesOf(chunks)).toEqual([
      { number: 1, text: '{"a":"日本"}' },
      { number: 2, text: '' },
      { number: 3, text: '{"b":2}' },
      { number: 4, text: '{"c":3}' },
    ])
  })

  it('refuses a line over the limit with its number, before it has all of it', async () => {
    async function* endless() {
      yield 'short\n'
      for (;;) yield 'x'.repeat(100)
    }
    await expect(linesOf([], 1)).resolves.toEqual([])
    const read = async () => {
      for await (const _ of readLines(endless(), 1_000)) void _
    }
    await expect(read()).rejects.toMatchObject({ code: 'too_large', details: { line: 2 } })
  })
})

describe('writing NDJSON', () => {
  it('waits for a slow reader instead of buffering without bound', async () => {
    const out = new PassThrough({ highWaterMark: 16 })
    const sink = new TextSink(out)
    let written = false
    const write = sink.write('x'.repeat(64)).then(() => {
      written = true
    })
    await new Promise((resolve) => setImmediate(resolve))
    expect(written).toBe(false)
    out.read()
    await write
    expect(written).toBe(true)
  })

  it('turns a broken pipe into an error of the next write, not a crash', async () => {
    const out = new Writable({
      write: (_chunk, _encoding, done) =>
        done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })),
    })
    const sink = new TextSink(out)
    await expect(
      (async () => {
        for (let i = 0; i < 3; i++) await sink.write('line\n')
      })(),
    ).rejects.toThrow('EPIPE')
  })
})
