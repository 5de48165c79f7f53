import { parseHlc } from '@tidings/protocol'

/** An HLC taken apart for people: when, which tick of that millisecond, which device. */
export interface DecodedHlc {
  /** The HLC as stored and sent (`2026-11-26T04:46:02.123Z-0001-<node>`). */
  text: string
  /** Its physical part as an ISO-8601 UTC date (the device's corrected clock). */
  time: string
  /** Events stamped within the same millisecond, counted from 0. */
  counter: number
  /** The client (device) id that issued it. */
  node: string
}

/**
 * Decodes an HLC; one the log holds is always canonical (the store only keeps HLCs the
 * protocol parsed), so a failure here would be a corrupt row: it is shown as it is, not thrown,
 * because an inspector must still open on a database that is wrong.
 */
export const decodeHlc = (text: string): DecodedHlc => {
  try {
    const { ms, counter, node } = parseHlc(text)
    return { text, time: new Date(ms).toISOString(), counter, node }
  } catch {
    return { text, time: '', counter: -1, node: '' }
  }
}

/** A decoded HLC's parts as values: its time as a `Date` (for `client.history`). */
export const hlcParts = (hlc: DecodedHlc): { time: Date; counter: number; node: string } => ({
  time: new Date(hlc.time),
  counter: hlc.counter,
  node: hlc.node,
})
