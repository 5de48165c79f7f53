import { TidingsError } from './errors.js'

/**
 * A hybrid logical clock timestamp in its text form,
 * `2026-11-26T04:46:02.123Z-0001-<node>`: ISO-8601 UTC millis, a 4-hex-digit counter and the
 * node (client) id. Its bytewise string order is its logical order, so it is stored and
 * compared as plain text (`COLLATE "C"` in Postgres).
 */
export type Hlc = string

export interface HlcParts {
  /** Physical part, Unix epoch milliseconds. */
  ms: number
  counter: number
  node: string
}

export const MAX_COUNTER = 0xffff
/** 9999-12-31T23:59:59.999Z: the last instant the fixed-width text form can hold. */
export const MAX_MS = 253_402_300_799_999
const NODE_PATTERN = /^[0-9A-Za-z_-]{1,64}$/
const HLC_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z-([0-9A-F]{4})-([0-9A-Za-z_-]{1,64})$/

/** Uppercase two-digit hex of every byte. */
const HEX_BYTE = Array.from({ length: 256 }, (_, b) =>
  b.toString(16).toUpperCase().padStart(2, '0'),
)

/**
 * The last node id that passed its check and the last millisecond formatted: a clock stamping
 * thousands of events in one millisecond (a large local transaction) formats the date once.
 */
let checkedNode = ''
let isoMs = -1
let isoText = ''

export const formatHlc = ({ ms, counter, node }: HlcParts): Hlc => {
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_MS) throw invalid(`physical time ${ms}`)
  if (!Number.isInteger(counter) || counter < 0 || counter > MAX_COUNTER)
    throw invalid(`counter ${counter}`)
  if (node !== checkedNode) {
    if (!NODE_PATTERN.test(node)) throw invalid(`node id ${JSON.stringify(node)}`)
    checkedNode = node
  }
  if (ms !== isoMs) {
    isoText = new Date(ms).toISOString()
    isoMs = ms
  }
  // One string per counter instead of three (toString, toUpperCase, padStart): a large local
  // transaction stamps thousands of events.
  const hex = HEX_BYTE[counter >>> 8]! + HEX_BYTE[counter & 0xff]!
  return `${isoText}-${hex}-${node}`
}

/** Parses the canonical text form only, so every accepted HLC sorts correctly as a string. */
export const parseHlc = (text: string): HlcParts => {
  const m = HLC_PATTERN.exec(text)
  if (!m) throw invalid(JSON.stringify(text.slice(0, 120)))
  const iso = text.slice(0, 24)
  const ms = Date.parse(iso)
  // Date.parse accepts 2026-02-31; only a round trip proves the date is real and canonical.
  // Before 1970 is refused too, so every parsed HLC can be formatted (and restored) again.
  if (!Number.isFinite(ms) || ms < 0 || new Date(ms).toISOString() !== iso) throw invalid(iso)
  return { ms, counter: Number.parseInt(m[8] as string, 16), node: m[9] as string }
}

export const isHlc = (text: string): boolean => {
  try {
    parseHlc(text)
    return true
  } catch {
    return false
  }
}

/** Bytewise comparison, the only order HLCs have. */
export const compareHlc = (a: Hlc, b: Hlc): number => (a < b ? -1 : a > b ? 1 : 0)

export const hlcMs = (hlc: Hlc): number => parseHlc(hlc).ms

/** Refuses an HLC more than `maxDriftMs` ahead of `nowMs` with `clock_drift`. */
export const assertWithinDrift = (hlc: Hlc, nowMs: number, maxDriftMs: number): void => {
  const { ms } = parseHlc(hlc)
  if (ms - nowMs > maxDriftMs) {
    throw new TidingsError(
      'clock_drift',
      `timestamp ${hlc} is ${ms - nowMs} ms ahead of the server clock (limit ${maxDriftMs} ms); fix the device clock`,
      { details: { hlc, aheadMs: ms - nowMs, maxDriftMs } },
    )
  }
}

function invalid(what: string): TidingsError {
  return new TidingsError('bad_request', `invalid HLC: ${what}`)
}
