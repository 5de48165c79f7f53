import { isHlc, isTidingsError, parseHlc } from '@tidings/protocol'

/**
 * Room for server nodes whose clocks differ a little: a bundle is taken as never stored only
 * when it is this much further ahead than the refusing node's limit. One that is not waits
 * (`clock_drift`, retried) at most this long, until the server's clock takes it.
 */
export const NODE_SKEW_MS = 2_000

/**
 * From a `clock_drift` refusal of a pushed bundle, the time past which the server holds none of
 * this device's bundles (epoch ms), or null when the refusal does not say.
 *
 * The refusal gives the refused HLC, how far ahead of the server's clock it was, and the
 * server's drift limit (DESIGN.md §3): the server's time then was `hlc - aheadMs`. The server
 * checks every bundle against its limit before it looks at anything else (even an already
 * stored, identical bundle is checked), and stores a bundle only when its HLC is within
 * `maxDriftMs` of its clock then; its clock only moves on. So no bundle past
 * `serverTime + maxDriftMs` was ever stored, including one sent in an earlier request whose
 * answer was lost. (That request reached the server before this one; the client sends the next
 * request only once the previous one has answered or failed.) `NODE_SKEW_MS` covers server
 * nodes whose clocks differ.
 */
export const neverStoredPast = (error: unknown): number | null => {
  if (!isTidingsError(error, 'clock_drift')) return null
  const details = error.details as { hlc?: unknown; aheadMs?: unknown; maxDriftMs?: unknown }
  const { hlc, aheadMs, maxDriftMs } = details ?? {}
  if (typeof hlc !== 'string' || !isHlc(hlc)) return null
  if (typeof aheadMs !== 'number' || typeof maxDriftMs !== 'number') return null
  if (!Number.isFinite(aheadMs) || !Number.isFinite(maxDriftMs) || maxDriftMs < 0) return null
  return parseHlc(hlc).ms - aheadMs + maxDriftMs + NODE_SKEW_MS
}
