import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isTidingsError } from '../errors.js'
import { DEFAULT_LIMITS } from '../limits.js'
import { messageSchemas } from './messages.js'
import { parseWire } from './parse.js'
import { CLIENT, hlcAt, makeBundle, makeEvent, refusal } from './testing.js'

const { bundle: bundleSchema } = messageSchemas()
const parseBundle = (data: unknown) => parseWire(bundleSchema, data, 'bundle')
const refuseBundle = (data: unknown) => refusal(() => parseBundle(data))
const MB10 = 'x'.repeat(10 * 1024 * 1024)
const nested = (levels: number): unknown => {
  let value: unknown = 1
  for (let i = 0; i < levels; i++) value = [value]
  return value
}

describe('a valid bundle', () => {
  it('passes and round-trips through JSON unchanged', () => {
    const bundle = makeBundle({}, 3)
    const parsed = parseBundle(JSON.parse(JSON.stringify(bundle)))
    expect(parsed).toEqual(bundle)
    expect(JSON.stringify(parsed)).toBe(JSON.stringify(bundle))
  })

  it.each([
    ['null (clears the attribute)', null],
    ['a number', -12.5],
    ['a boolean', false],
    ['an empty string', ''],
    ['non-ASCII text', 'naïve 日本 🎉'],
    ['an array', [1, 'two', [3]]],
    ['an object', { author: 'Le Guin', tags: ['sf'], rating: { stars: 5 } }],
    ['a "constructor" key (only __proto__ is dangerous)', { constructor: 1 }],
    ['64 levels of nesting', nested(64)],
  ])('carries any JSON value: %s', (_, value) => {
    expect(parseBundle(makeBundle({ events: [makeEvent({ value })] })).events[0]?.value).toEqual(
      value,
    )
  })
})

describe('a bundle with missing or unknown fields', () => {
  it.each(['id', 'client', 'hlc', 'events'])(
    'missing bundle.%s -> bad_request at that path',
    (field) => {
      expect(refuseBundle(makeBundle({ [field]: undefined }))).toMatchObject({
        code: 'bad_request',
        paths: expect.arrayContaining([field]),
      })
    },
  )

  it.each(['id', 'type', 'entity', 'attribute', 'value', 'hlc', 'client'])(
    'missing event.%s -> bad_request at events.0.%s',
    (field) => {
      const bundle = makeBundle({ events: [makeEvent({ [field]: undefined })] })
      expect(refuseBundle(bundle)).toMatchObject({
        code: 'bad_request',
        paths: expect.arrayContaining([`events.0.${field}`]),
      })
    },
  )

  it('an unknown field on the bundle -> bad_request at its own path', () => {
    expect(refuseBundle(makeBundle({ extra: 1 }))).toEqual({
      code: 'bad_request',
      status: 400,
      paths: ['extra'],
    })
  })

  it('an unknown field nested in an event -> bad_request at events.N.field', () => {
    const bundle = makeBundle({ events: [makeEvent(), makeEvent({ deleted: true }, 1)] })
    bundle.hlc = hlcAt(1)
    expect(refuseBundle(bundle)).toMatchObject({ code: 'bad_request', paths: ['events.1.deleted'] })
  })

  it('a "__proto__" key (as JSON.parse makes it) is an unknown field, and pollutes nothing', () => {
    const text = JSON.stringify(makeBundle()).replace('{"id"', '{"__proto__":{"polluted":1},"id"')
    expect(refuseBundle(JSON.parse(text))).toMatchObject({
      code: 'bad_request',
      paths: ['__proto__'],
    })
    const inEvent = JSON.stringify(makeBundle()).replace(
      '"type"',
      '"__proto__":{"polluted":1},"type"',
    )
    expect(refuseBundle(JSON.parse(inEvent))).toMatchObject({ paths: ['events.0.__proto__'] })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('a bundle with fields of the wrong type', () => {
  it.each([
    ['bundle id as a number', { id: 42 }, 'id'],
    ['bundle hlc as epoch ms', { hlc: 1_764_132_362_123 }, 'hlc'],
    ['bundle client null', { client: null }, 'client'],
    ['events as an object', { events: { 0: makeEvent() } }, 'events'],
    ['events as a string', { events: '[]' }, 'events'],
    ['an event that is null', { events: [null] }, 'events.0'],
    ['an event that is a string', { events: ['{}'] }, 'events.0'],
  ])('%s -> bad_request', (_, overrides, path) => {
    expect(refuseBundle(makeBundle(overrides))).toMatchObject({
      code: 'bad_request',
      paths: expect.arrayContaining([path]),
    })
  })

  it.each([
    ['id', 7],
    ['type', null],
    ['entity', 12],
    ['attribute', null],
    ['hlc', null],
    ['client', ['x']],
  ])('event.%s = %j -> bad_request', (field, value) => {
    const bundle = makeBundle({ events: [makeEvent({ [field]: value })] })
    expect(refuseBundle(bundle)).toMatchObject({
      code: 'bad_request',
      paths: expect.arrayContaining([`events.0.${field}`]),
    })
  })
})

describe('a bundle with malformed strings', () => {
  it.each([
    ['type', ''],
    ['type', '1document'],
    ['type', 'doc-ument'],
    ['type', 'a'.repeat(65)],
    ['attribute', 'title; DROP TABLE x'],
    ['entity', ''],
    ['entity', 'has space'],
    ['entity', 'nön-ascii'],
    ['entity', 'e'.repeat(129)],
    ['id', '0193A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B'],
    ['id', '0193a1b20c3d47e5f8a9b0c1d2e3f4a5b'],
    ['id', '{0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b}'],
    ['hlc', 'tomorrow'],
    ['hlc', hlcAt(0).replace('-0000-', '-000a-')],
  ])('event.%s = %j -> bad_request', (field, value) => {
    const bundle = makeBundle({ events: [makeEvent({ [field]: value })] })
    expect(refuseBundle(bundle)).toMatchObject({
      code: 'bad_request',
      paths: expect.arrayContaining([`events.0.${field}`]),
    })
  })

  it('an uppercase client UUID is refused, even with a matching HLC', () => {
    const upper = CLIENT.toUpperCase()
    const event = makeEvent({ client: upper, hlc: hlcAt(0, upper) })
    expect(
      refuseBundle(makeBundle({ client: upper, hlc: hlcAt(0, upper), events: [event] })),
    ).toMatchObject({
      code: 'bad_request',
      paths: expect.arrayContaining(['client', 'events.0.client']),
    })
  })

  // A 10 MB id is malformed, not big: 413 would tell the client to send less, which cannot help.
  it.each(['id', 'type', 'entity', 'hlc'])(
    'a 10 MB event.%s -> bad_request (malformed, not big)',
    (field) => {
      const bundle = makeBundle({ events: [makeEvent({ [field]: MB10 })] })
      expect(refuseBundle(bundle)).toMatchObject({
        code: 'bad_request',
        paths: expect.arrayContaining([`events.0.${field}`]),
      })
    },
  )

  it('a 10 MB bundle id -> bad_request, and the message does not echo the 10 MB', () => {
    let message = ''
    try {
      parseBundle(makeBundle({ id: MB10 }))
    } catch (error) {
      if (isTidingsError(error, 'bad_request')) message = error.message
    }
    expect(message).toContain('at id')
    expect(message.length).toBeLessThan(500)
  })
})

describe('event values', () => {
  it('a 10 MB string value -> too_large (413) at events.0.value', () => {
    expect(refuseBundle(makeBundle({ events: [makeEvent({ value: MB10 })] }))).toEqual({
      code: 'too_large',
      status: 413,
      paths: ['events.0.value'],
    })
  })

  it('the default limit is maxValueBytes of JSON text', () => {
    const fits = 'x'.repeat(DEFAULT_LIMITS.maxValueBytes - 2) // plus two quotes
    expect(() => parseBundle(makeBundle({ events: [makeEvent({ value: fits })] }))).not.toThrow()
    const over = makeBundle({ events: [makeEvent({ value: `${fits}x` })] })
    expect(refuseBundle(over).code).toBe('too_large')
  })

  it('maxValueBytes is configurable and counts UTF-8 bytes, not characters', () => {
    const small = messageSchemas({ ...DEFAULT_LIMITS, maxValueBytes: 16 }).bundle
    const check = (value: unknown) => {
      try {
        parseWire(small, makeBundle({ events: [makeEvent({ value })] }), 'bundle')
        return 'ok'
      } catch (error) {
        if (isTidingsError(error)) return error.code
        throw error
      }
    }
    expect(check('x'.repeat(14))).toBe('ok') // "xx…x" is 16 bytes
    expect(check('x'.repeat(15))).toBe('too_large')
    expect(check('é'.repeat(7))).toBe('ok') // 2 bytes each: 14 + 2 quotes
    expect(check('é'.repeat(8))).toBe('too_large')
    expect(check('🎉'.repeat(3))).toBe('ok') // 4 bytes each: 12 + 2
    expect(check('🎉'.repeat(4))).toBe('too_large')
    expect(check({ a: [1, 2, 3] })).toBe('ok') // {"a":[1,2,3]} is 13 bytes
    expect(check({ a: [1, 2, 3, 4, 5] })).toBe('too_large')
  })

  it('65 levels of nesting -> bad_request', () => {
    expect(refuseBundle(makeBundle({ events: [makeEvent({ value: nested(65) })] }))).toMatchObject({
      code: 'bad_request',
      paths: ['events.0.value'],
    })
  })

  it('100,000 levels of nesting anywhere -> a clean bad_request, never a stack overflow', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)
    expect(refuseBundle(makeBundle({ events: [makeEvent({ value: deep })] }))).toMatchObject({
      code: 'bad_request',
      paths: ['events.0.value'],
    })
    expect(refuseBundle(makeBundle({ id: deep })).paths).toContain('id')
    expect(refuseBundle(makeBundle({ events: deep })).paths).toContain('events.0')
    expect(refuseBundle(makeBundle({ junk: deep })).paths).toEqual(['junk'])
    expect(refuseBundle(deep)).toMatchObject({ code: 'bad_request', paths: [''] })
  })

  it('a "__proto__" key anywhere inside a value -> bad_request (a peer spreading it would be polluted)', () => {
    for (const text of ['{"__proto__":{"admin":true}}', '{"a":[{"__proto__":1}]}']) {
      const bundle = makeBundle({ events: [makeEvent({ value: JSON.parse(text) })] })
      expect(refuseBundle(bundle)).toMatchObject({ code: 'bad_request', paths: ['events.0.value'] })
    }
  })

  // JSON text cannot carry NaN or Infinity (JSON.parse('NaN') throws), so only an in-process
  // caller can hand them over; JSON.stringify would silently turn them into null.
  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity inside an array', [1, Number.NEGATIVE_INFINITY]],
    ['a bigint', 10n],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['a function', () => 1],
    ['undefined inside an object', { a: undefined }],
  ])('a value that is not JSON (%s) -> bad_request', (_, value) => {
    expect(JSON.stringify(Number.NaN)).toBe('null')
    expect(refuseBundle(makeBundle({ events: [makeEvent({ value })] }))).toMatchObject({
      code: 'bad_request',
      paths: ['events.0.value'],
    })
  })
})

describe('bundle rules across events', () => {
  it('an event whose hlc was issued by another node than its client -> bad_request at its hlc', () => {
    const other = '0193a1b2-c3d4-7e5f-8a9b-ffffffffffff'
    const bundle = makeBundle({
      events: [makeEvent({ hlc: hlcAt(0, other) })],
      hlc: hlcAt(0, other),
    })
    expect(refuseBundle(bundle)).toMatchObject({ code: 'bad_request', paths: ['events.0.hlc'] })
  })

  it('an event from another client than the bundle -> bad_request at its client', () => {
    const other = '0193a1b2-c3d4-7e5f-8a9b-000000000000' // its HLC sorts below the bundle's
    const bundle = makeBundle({}, 2)
    bundle.events[1] = makeEvent({ client: other, hlc: hlcAt(0, other) })
    bundle.hlc = hlcAt(0) // still the greatest event hlc, so only the client is wrong
    expect(refuseBundle(bundle)).toMatchObject({ code: 'bad_request', paths: ['events.1.client'] })
  })

  it.each([
    ['an older event hlc', hlcAt(0)],
    ['an hlc newer than every event', hlcAt(5)],
  ])('a bundle hlc that is not the greatest event hlc (%s) -> bad_request at hlc', (_, hlc) => {
    expect(refuseBundle(makeBundle({ hlc }, 2))).toMatchObject({
      code: 'bad_request',
      paths: ['hlc'],
    })
  })

  it('a repeated event id -> bad_request at the repeat', () => {
    const bundle = makeBundle({}, 3)
    bundle.events[2] = {
      ...(bundle.events[2] as object),
      id: (bundle.events[0] as { id: string }).id,
    }
    expect(refuseBundle(bundle)).toMatchObject({ code: 'bad_request', paths: ['events.2.id'] })
  })

  it('0 events -> bad_request (a bundle is a transaction that wrote something)', () => {
    expect(refuseBundle(makeBundle({ events: [] }))).toMatchObject({
      code: 'bad_request',
      paths: ['events'],
    })
  })

  it('10,001 events -> too_large (the default maxEventsPerBundle is 10,000)', () => {
    expect(DEFAULT_LIMITS.maxEventsPerBundle).toBe(10_000)
    expect(refuseBundle(makeBundle({}, 10_001))).toMatchObject({
      code: 'too_large',
      paths: ['events'],
    })
  })

  it('reports at most 10 problems', () => {
    const bundle = makeBundle({}, 50)
    bundle.events = bundle.events.map((e) => ({ ...(e as object), type: 'not a name' }))
    const { paths } = refuseBundle(bundle)
    expect(paths).toHaveLength(10)
    expect(paths[0]).toBe('events.0.type')
  })
})

describe('any input at all', () => {
  it('either parses or is refused with bad_request / too_large: never another exception', () => {
    const field = fc.constantFrom(
      'id',
      'client',
      'hlc',
      'events',
      'type',
      'entity',
      'attribute',
      'value',
    )
    const mutation = fc.record({ field, junk: fc.anything(), inEvent: fc.boolean() })
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          mutation.map((m) => m as unknown),
        ),
        (input) => {
          let data: unknown = input
          if (typeof input === 'object' && input !== null && 'inEvent' in input) {
            const { field, junk, inEvent } = input as {
              field: string
              junk: unknown
              inEvent: boolean
            }
            data = inEvent
              ? makeBundle({ events: [makeEvent({ [field]: junk })] })
              : makeBundle({ [field]: junk })
          }
          try {
            parseBundle(data)
          } catch (error) {
            expect(isTidingsError(error, 'bad_request') || isTidingsError(error, 'too_large')).toBe(
              true,
            )
          }
        },
      ),
      { numRuns: 1000 },
    )
  })
})
