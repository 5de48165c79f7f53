import { describe, expect, it } from 'vitest'
import {
  ERROR_CODES,
  ERROR_STATUS,
  type ErrorCode,
  isTidingsError,
  TidingsError,
} from './errors.js'

/** The documented table (TEAM.md, DESIGN.md §6): changing a status breaks deployed clients. */
const DOCUMENTED: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unsent_changes: 409,
  last_owner: 409,
  gone: 410,
  too_large: 413,
  clock_drift: 422,
  schema_too_old: 426,
  rate_limited: 429,
  internal: 500,
  bad_answer: 502,
  account_mismatch: 409,
  unavailable: 503,
  not_saved: 507,
}

/** What a TidingsError looks like after crossing the wire. */
const overTheWire = (error: TidingsError): TidingsError =>
  TidingsError.fromBody(JSON.parse(JSON.stringify(error.toBody())), error.status)

describe('TidingsError', () => {
  it('has exactly the documented codes', () => {
    expect(ERROR_STATUS).toEqual(DOCUMENTED)
    expect([...ERROR_CODES].sort()).toEqual(Object.keys(DOCUMENTED).sort())
  })

  it.each(ERROR_CODES)('%s maps to its HTTP status', (code) => {
    const error = new TidingsError(code, 'why')
    expect(error.status).toBe(DOCUMENTED[code])
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('TidingsError')
    expect(isTidingsError(error, code)).toBe(true)
  })

  it('keeps its cause for the logs, but the cause never goes on the wire', () => {
    const cause = new Error('disk full at /var/secret')
    const error = new TidingsError('internal', 'could not store', { cause })
    expect(error.cause).toBe(cause)
    expect(JSON.stringify(error.toBody())).not.toContain('secret')
  })

  it('toBody is { error: { code, message } }, with details only when there are some', () => {
    expect(new TidingsError('not_found', 'no such bundle').toBody()).toEqual({
      error: { code: 'not_found', message: 'no such bundle' },
    })
    const details = [{ path: 'events.0.id', message: 'must be a lowercase UUID' }]
    expect(new TidingsError('bad_request', 'invalid', { details }).toBody()).toEqual({
      error: { code: 'bad_request', message: 'invalid', details },
    })
  })

  it.each(ERROR_CODES)('%s survives toBody -> JSON -> fromBody', (code) => {
    const details = { path: 'hlc', aheadMs: 1 }
    const back = overTheWire(new TidingsError(code, `a ${code}`, { details }))
    expect(back).toMatchObject({ code, message: `a ${code}`, details, status: DOCUMENTED[code] })
    expect(overTheWire(new TidingsError(code, 'plain')).details).toBeUndefined()
  })

  it('fromBody trusts the body code over the status (the body is the contract)', () => {
    expect(TidingsError.fromBody({ error: { code: 'conflict', message: 'x' } }, 400).code).toBe(
      'conflict',
    )
  })

  it('fromBody turns a non-string message into text', () => {
    expect(TidingsError.fromBody({ error: { code: 'forbidden', message: 42 } }, 403).message).toBe(
      '42',
    )
  })

  it.each([
    ['no body', undefined, 500, 'unavailable'],
    ['a proxy error page', '<html>Bad Gateway</html>', 502, 'unavailable'],
    ['a bodiless 503', null, 503, 'unavailable'],
    ['a proxy rate limit', '', 429, 'rate_limited'],
    ["a proxy's body limit", '<html>413</html>', 413, 'too_large'],
    ["a proxy's auth", {}, 401, 'unauthorized'],
    ['a bare 404', 'Not Found', 404, 'not_found'],
    ['a bare 422 (not our clock_drift)', {}, 422, 'internal'],
    ['a bare 409 (not our conflict)', {}, 409, 'internal'],
    ['an odd status', {}, 418, 'internal'],
    ['error is a string', { error: 'boom' }, 400, 'bad_request'],
    ['an unknown code', { error: { code: 'exploded', message: 'x' } }, 400, 'bad_request'],
    ['an inherited key as code', { error: { code: 'toString', message: 'x' } }, 418, 'internal'],
    ['__proto__ as code', { error: { code: '__proto__', message: 'x' } }, 418, 'internal'],
    ['a numeric code', { error: { code: 400, message: 'x' } }, 418, 'internal'],
  ])('fromBody maps %s sensibly', (_, body, status, code) => {
    const error = TidingsError.fromBody(body, status)
    expect(error.code).toBe(code)
    expect(error.status).toBe(DOCUMENTED[code as ErrorCode])
    expect(error.message).toContain(String(status))
  })
})
