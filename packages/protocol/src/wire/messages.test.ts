import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { TidingsError } from '../errors.js'
import { DEFAULT_LIMITS } from '../limits.js'
import { type MessageSchemas, messageSchemas } from './messages.js'
import { parseWire } from './parse.js'
import { CLIENT, hlcAt, makeBundle, makeEvent, refusal } from './testing.js'

const schemas = messageSchemas()
const refuse = (schema: z.ZodType, data: unknown) =>
  refusal(() => parseWire(schema, data, 'message'))
const syncRequest = (overrides: Record<string, unknown> = {}) => ({
  client: CLIENT,
  hlc: hlcAt(0),
  cursor: null as string | null,
  bundles: [makeBundle()] as unknown[],
  ...overrides,
})

describe('syncRequest', () => {
  it('a valid request passes and round-trips through JSON', () => {
    const request = syncRequest({ cursor: '42' })
    expect(parseWire(schemas.syncRequest, JSON.parse(JSON.stringify(request)), 'sync')).toEqual(
      request,
    )
  })

  it.each([null, '', '42', 'opaque:v2.7_x-1'])('accepts cursor %j', (cursor) => {
    expect(parseWire(schemas.syncRequest, syncRequest({ cursor }), 'sync').cursor).toBe(cursor)
  })

  it.each([
    [
      'a missing cursor (null means the beginning; absent is a bug)',
      { cursor: undefined },
      'cursor',
    ],
    ['a cursor with a space', { cursor: '4 2' }, 'cursor'],
    ['a 65-character cursor', { cursor: '9'.repeat(65) }, 'cursor'],
    ['a numeric cursor', { cursor: 42 }, 'cursor'],
    ['an uppercase client', { client: CLIENT.toUpperCase() }, 'client'],
    ['bundles null', { bundles: null }, 'bundles'],
    ['an unknown field', { token: 'secret' }, 'token'],
  ])('%s -> bad_request', (_, overrides, path) => {
    const request: Record<string, unknown> = syncRequest(overrides)
    if ('cursor' in overrides && overrides.cursor === undefined) delete request.cursor
    expect(refuse(schemas.syncRequest, request)).toMatchObject({
      code: 'bad_request',
      paths: [path],
    })
  })

  it('reports a problem deep in a bundle by its full path', () => {
    const bad = makeBundle({ events: [makeEvent({ colour: 'red' })] })
    expect(
      refuse(schemas.syncRequest, syncRequest({ bundles: [makeBundle(), bad] })),
    ).toMatchObject({
      code: 'bad_request',
      paths: ['bundles.1.events.0.colour'],
    })
  })

  it('a value over maxValueBytes anywhere -> too_large at its path', () => {
    const small = messageSchemas({ ...DEFAULT_LIMITS, maxValueBytes: 10 })
    const big = makeBundle({ events: [makeEvent({ value: 'x'.repeat(20) })] })
    expect(refuse(small.syncRequest, syncRequest({ bundles: [big] }))).toMatchObject({
      code: 'too_large',
      paths: ['bundles.0.events.0.value'],
    })
  })

  it('more bundles than maxBundlesPerRequest -> too_large, whatever else is wrong', () => {
    const two = messageSchemas({ ...DEFAULT_LIMITS, maxBundlesPerRequest: 2 })
    const request = syncRequest({ bundles: [makeBundle(), makeBundle(), makeBundle()] })
    expect(refuse(two.syncRequest, request)).toMatchObject({
      code: 'too_large',
      paths: ['bundles'],
    })
    const alsoBad = { ...request, extra: 1 }
    expect(refuse(two.syncRequest, alsoBad).code).toBe('too_large')
  })
})

describe('pullQuery (query-string values arrive as text)', () => {
  const parse = (query: unknown) => parseWire(schemas.pullQuery, query, 'query')

  it('coerces limit "50" to the number 50 and keeps the cursor as text', () => {
    expect(parse({ after: '17', limit: '50' })).toEqual({ after: '17', limit: 50 })
    expect(parse({})).toEqual({})
  })

  it.each([
    ['"abc"', 'abc'],
    ['"" (a number only by accident)', ''],
    ['"0"', '0'],
    ['"1.5"', '1.5'],
    ['"-5"', '-5'],
    ['"Infinity"', 'Infinity'],
    // Over maxPageBundles is a malformed query, not a big body: bad_request, not too_large.
    [`"${DEFAULT_LIMITS.maxPageBundles + 1}"`, String(DEFAULT_LIMITS.maxPageBundles + 1)],
  ])('refuses limit %s with bad_request', (_, limit) => {
    expect(refuse(schemas.pullQuery, { limit })).toMatchObject({
      code: 'bad_request',
      paths: ['limit'],
    })
  })

  it('refuses an unknown query parameter', () => {
    expect(refuse(schemas.pullQuery, { after: '1', cursor: '1' })).toMatchObject({
      code: 'bad_request',
      paths: ['cursor'],
    })
  })
})

describe('getBundlesRequest', () => {
  it('accepts lowercase UUIDs, none at all included', () => {
    const ids = [makeBundle().id, makeBundle().id]
    expect(parseWire(schemas.getBundlesRequest, { ids }, 'ids')).toEqual({ ids })
    expect(parseWire(schemas.getBundlesRequest, { ids: [] }, 'ids')).toEqual({ ids: [] })
  })

  it('an uppercase UUID -> bad_request at its index', () => {
    const ids = [CLIENT, CLIENT.toUpperCase()]
    expect(refuse(schemas.getBundlesRequest, { ids })).toMatchObject({
      code: 'bad_request',
      paths: ['ids.1'],
    })
  })

  it('more than maxIdsPerRequest (10,000) ids -> too_large', () => {
    const ids = Array.from({ length: DEFAULT_LIMITS.maxIdsPerRequest + 1 }, () => CLIENT)
    expect(refuse(schemas.getBundlesRequest, { ids })).toMatchObject({
      code: 'too_large',
      paths: ['ids'],
    })
  })
})

describe('answers are read leniently, so old clients survive new servers', () => {
  const answer = {
    hlc: hlcAt(3),
    cursor: '7',
    accepted: [CLIENT],
    bundles: [makeBundle()],
    more: false,
  }

  it('syncResponse drops unknown fields instead of refusing them', () => {
    const parsed = parseWire(schemas.syncResponse, { ...answer, newFeature: { x: 1 } }, 'answer')
    expect(parsed).toEqual(answer)
  })

  it('but still refuses wrong types, e.g. more as the string "false"', () => {
    expect(refuse(schemas.syncResponse, { ...answer, more: 'false' })).toMatchObject({
      code: 'bad_request',
      paths: ['more'],
    })
  })

  it("stored bundles are not held to this side's maxValueBytes (the server may allow more)", () => {
    const strict = messageSchemas({ ...DEFAULT_LIMITS, maxValueBytes: 10 })
    const big = makeBundle({ events: [makeEvent({ value: 'x'.repeat(100) })] })
    expect(() =>
      parseWire(strict.pullResponse, { bundles: [big], cursor: '1', more: false }, 'pull'),
    ).not.toThrow()
    expect(refuse(strict.bundle, big).code).toBe('too_large')
  })

  it('health needs ok: true; poke needs a cursor; an error body matches TidingsError.toBody', () => {
    expect(
      parseWire(schemas.health, { ok: true, version: '0.1.0', time: hlcAt(0) }, 'health').ok,
    ).toBe(true)
    expect(refuse(schemas.health, { ok: 'true', version: '0.1.0', time: '' }).paths).toEqual(['ok'])
    expect(refuse(schemas.poke, {}).paths).toEqual(['cursor'])
    const body = new TidingsError('not_found', 'no such bundle', {
      details: { id: CLIENT },
    }).toBody()
    expect(parseWire(schemas.error, body, 'error')).toEqual(body)
  })
})

describe('OpenAPI friendliness', () => {
  const names = Object.keys(schemas) as Array<keyof MessageSchemas>

  it('messageSchemas has every message of DESIGN.md §6', () => {
    expect(names.sort()).toEqual(
      [
        'bundle',
        'bundleIdsResponse',
        'error',
        'getBundlesRequest',
        'getBundlesResponse',
        'health',
        'poke',
        'pullQuery',
        'pullResponse',
        'syncRequest',
        'syncResponse',
      ].sort(),
    )
  })

  it.each(names)(
    '%s converts to plain JSON Schema (the server builds /v1/openapi.json from it)',
    (name) => {
      const json = z.toJSONSchema(schemas[name], { unrepresentable: 'any', io: 'input' })
      expect(json.type).toBe('object')
      expect(Object.keys(json.properties ?? {}).length).toBeGreaterThan(0)
      expect(JSON.parse(JSON.stringify(json))).toEqual(json) // no functions, no cycles
    },
  )

  it('requests say they reject unknown fields; answers do not', () => {
    const input = (name: keyof MessageSchemas) =>
      z.toJSONSchema(schemas[name], { unrepresentable: 'any', io: 'input' })
    expect(input('syncRequest').additionalProperties).toBe(false)
    expect(input('syncRequest').required).toEqual(['client', 'hlc', 'cursor', 'bundles'])
    expect(input('syncResponse').additionalProperties).not.toBe(false)
  })
})
