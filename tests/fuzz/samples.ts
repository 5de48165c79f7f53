import { formatHlc, newId } from '@tidings/protocol'

// Building blocks of fuzz requests: valid requests to mutate, evil scalars, loose JSON.

/**
 * JSON-ish text for any value `fc.anything` makes: bigints become huge number literals,
 * non-finite numbers are written raw (`NaN`, invalid JSON on purpose), `-0` stays `-0`.
 */
export const looseJson = (value: unknown, depth = 0): string => {
  if (depth > 200) return 'null'
  if (value === undefined) return 'null'
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value) // NaN, Infinity: raw, invalid JSON
  if (typeof value === 'symbol' || typeof value === 'function') return '"?"'
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map((v) => looseJson(v, depth + 1)).join(',')}]`
  if (value instanceof Date)
    return JSON.stringify(Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString())
  const keys = Reflect.ownKeys(value).filter((k): k is string => typeof k === 'string')
  return `{${keys.map((k) => `${JSON.stringify(k)}:${looseJson((value as Record<string, unknown>)[k], depth + 1)}`).join(',')}}`
}

/** A valid bundle of one event from `client`, stamped `ms` (fresh ids every time). */
export const validBundle = (client: string, ms: number, value: unknown = 'v') => {
  const hlc = formatHlc({ ms, counter: 0, node: client })
  const event = {
    id: newId(),
    type: 'note',
    entity: newId(),
    attribute: 'title',
    value,
    hlc,
    client,
  }
  return { id: newId(), client, hlc, events: [event] }
}

export const validSync = (client: string, ms = Date.now()) => ({
  client,
  hlc: formatHlc({ ms, counter: 0, node: client }),
  cursor: null as string | null,
  bundles: [validBundle(client, ms)],
})

/** Strings that break naive code: lone surrogates, NUL, BOM, RTL, huge digits, SQL/JS bait. */
export const EVIL_STRINGS = [
  '',
  '\u0000',
  '\ud800',
  '\udfff',
  '\udc00\ud800',
  '\ufeff',
  '\u202e',
  '\u{10ffff}',
  'a\u0000b',
  '💥'.repeat(1000),
  '9'.repeat(400),
  '-1',
  '1e309',
  "'; drop table bundles; --",
  '__proto__',
  'constructor',
  '../../etc/passwd',
  '%00',
  'null',
  ' '.repeat(70),
  'A'.repeat(70_000),
] as const

/** Number literals no JSON parser should turn into something dangerous. */
export const HUGE_NUMBERS = [
  '1e309',
  '-1e309',
  '123456789012345678901234567890',
  '-0',
  '0.0000000001e-400',
  '1' + '0'.repeat(5000),
]
