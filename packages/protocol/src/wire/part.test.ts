import { describe, expect, it } from 'vitest'
import { newId } from '../ids.js'
import { messageSchemas } from './messages.js'
import { parseWire } from './parse.js'
import { partsOf, withParts } from './part.js'
import { CLIENT, hlcAt, makeBundle, refusal } from './testing.js'

const schemas = messageSchemas()
const GROUP = newId()

const request = (bundles: unknown[], parts: unknown) => ({
  client: CLIENT,
  hlc: hlcAt(0),
  cursor: null,
  bundles,
  parts,
})

describe('parts of a transaction too big for one bundle', () => {
  it('a request marks its bundles as parts beside them, and they round-trip', () => {
    const a = makeBundle()
    const b = makeBundle()
    const parts = [
      { bundle: a.id, group: GROUP, index: 0, count: 3 },
      { bundle: b.id, group: GROUP, index: 1, count: 3 },
    ]
    const parsed = parseWire(schemas.syncRequest, request([a, b], parts), 'sync')
    const attached = withParts(parsed.bundles, parsed.parts)
    expect(attached[1]?.part).toEqual({ group: GROUP, index: 1, count: 3 })
    expect(partsOf(attached)).toEqual(parts)
  })

  it.each([
    ['a part naming no bundle of the request', { bundle: newId() }],
    ['an index not below count', { index: 3 }],
    ['a count of 1 (a whole transaction is no part)', { count: 1 }],
    ['an unknown field', { extra: 1 }],
  ])('%s -> bad_request', (_, override) => {
    const bundle = makeBundle()
    const part = { bundle: bundle.id, group: GROUP, index: 0, count: 3, ...override }
    const parse = () => parseWire(schemas.syncRequest, request([bundle], [part]), 'sync')
    expect(refusal(parse).code).toBe('bad_request')
  })

  it('one bundle marked twice -> bad_request', () => {
    const bundle = makeBundle()
    const part = { bundle: bundle.id, group: GROUP, index: 0, count: 2 }
    expect(
      refusal(() => parseWire(schemas.syncRequest, request([bundle], [part, part]), 'sync')),
    ).toMatchObject({ code: 'bad_request', paths: ['parts.1.bundle'] })
  })

  it('a client released before parts reads an answer with parts: it ignores the list (and applies each part as a transaction of its own)', () => {
    const released = schemas.syncResponse.omit({ parts: true }) // what such a client parses with
    const bundle = makeBundle()
    const answer = {
      hlc: hlcAt(1),
      cursor: '1',
      accepted: [],
      bundles: [bundle],
      parts: [{ bundle: bundle.id, group: GROUP, index: 0, count: 2 }],
      more: false,
    }
    expect(parseWire(released, answer, 'answer').bundles).toEqual([bundle])
  })

  it('an answer without parts (an older server) parses as before', () => {
    const answer = { bundles: [makeBundle()], cursor: '1', more: false }
    expect(parseWire(schemas.pullResponse, answer, 'pull').parts).toBeUndefined()
  })
})
