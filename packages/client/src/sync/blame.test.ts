import { type Bundle, type ErrorCode, newId, TidingsError } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { blame } from './blame.js'

const bundle = (): Bundle => {
  const client = newId()
  const hlc = `2026-11-26T08:00:00.000Z-0000-${client}`
  const event = {
    id: newId(),
    type: 'document',
    entity: newId(),
    attribute: 'title',
    value: 'x',
    hlc,
    client,
  }
  return { id: newId(), client, hlc, events: [event] }
}

const refusal = (code: ErrorCode, details?: unknown) =>
  new TidingsError(code, 'refused', details === undefined ? undefined : { details })

describe('blame: which pushed bundle a refusal is about', () => {
  const [a, b, c] = [bundle(), bundle(), bundle()] as [Bundle, Bundle, Bundle]
  const three = [a, b, c]

  it('takes the bundle a conflict names, by bundle id or by one of its event ids', () => {
    expect(blame(three, refusal('conflict', { bundle: b.id }))).toBe(b)
    expect(blame(three, refusal('conflict', { event: c.events[0]!.id }))).toBe(c)
  })

  it('takes the bundle a validation issue path points into', () => {
    const issues = [
      { path: 'bundles.1.events.0.value', message: 'too big' },
      { path: 'bundles.1.events.0.hlc', message: 'bad' },
    ]
    expect(blame(three, refusal('too_large', issues))).toBe(b)
    expect(blame(three, refusal('bad_request', [{ path: 'bundles.2.id', message: 'x' }]))).toBe(c)
  })

  it('says unknown when a refusal of several bundles names none of them', () => {
    expect(blame(three, refusal('conflict'))).toBe('unknown')
    expect(blame(three, refusal('too_large'))).toBe('unknown') // a bare 413 from a proxy
    expect(blame(three, refusal('too_large', [{ path: 'bundles', message: 'too many' }]))).toBe(
      'unknown',
    )
  })

  it('blames the only bundle of a one-bundle push for a conflict or a size refusal', () => {
    expect(blame([b], refusal('conflict'))).toBe(b)
    expect(blame([b], refusal('too_large'))).toBe(b)
  })

  it('blames no bundle for refusals of the request itself', () => {
    expect(blame(three, refusal('bad_request', [{ path: 'cursor', message: 'bad' }]))).toBe(
      'request',
    )
    expect(blame([b], refusal('bad_request'))).toBe('request') // e.g. an unknown cursor
    expect(
      blame(
        three,
        refusal('bad_request', [
          { path: 'hlc', message: 'bad' },
          { path: 'bundles.0.id', message: 'bad' },
        ]),
      ),
    ).toBe('request')
  })

  it.each([
    'unavailable',
    'rate_limited',
    'internal',
    'clock_drift',
    'unauthorized',
    'forbidden',
    'bad_answer',
  ] as const)('never blames a bundle for %s (transient, or not about a bundle)', (code) => {
    expect(blame(three, refusal(code, { bundle: a.id }))).toBe('request')
    expect(blame([a], refusal(code))).toBe('request')
  })

  it('blames nothing for an empty push or an error that is not the server’s', () => {
    expect(blame([], refusal('conflict', { bundle: a.id }))).toBe('request')
    expect(blame(three, new Error('boom'))).toBe('request')
  })

  it('takes a part an issue about the parts list names; an old server refusing the list blames the first part', () => {
    const group = newId()
    const [p0, p1] = [0, 1].map((index) => ({ ...bundle(), part: { group, index, count: 2 } }))
    const sent = [a, p0!, p1!]
    expect(blame(sent, refusal('bad_request', [{ path: 'parts.1.bundle', message: 'x' }]))).toBe(p1)
    const unknown = [{ path: 'parts', message: 'unknown field "parts"' }]
    expect(blame(sent, refusal('bad_request', unknown))).toBe(p0)
  })
})
