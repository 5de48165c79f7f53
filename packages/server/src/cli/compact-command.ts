import { isHlc } from '@tidings/protocol'
import type { CompactOptions, CompactProgress, CompactResult } from '../store/compaction/compact.js'
import type { Store } from '../store/store.js'
import { count, DEFAULT_PROGRESS_MS, duration } from '../transfer/progress.js'

export const COMPACT_USAGE = `  tidings compact [--space ID] (--older-than 30d | --horizon HLC) [--batch N] [--db URL] [--quiet]`

export const COMPACT_HELP = `compact drops superseded events from the history the server keeps: in every bundle older than
     the horizon (--older-than AGE, e.g. 30d, 12h, 90m; or --horizon HLC), an event is dropped
     when a newer write of the same attribute of the same entity is stored; each attribute's
     winner and every delete stay. Of one space (--space ID; a user's id names its private
     space) or of all. Devices keep their cursors; a new device pulls only the winners. Safe
     while a server runs; progress on stderr. serve --compact-every 24h --compact-older-than 30d
     runs it on a schedule.`

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

/** `30d`, `12h`, `90m`, `45s`, `500ms`, `2w` as milliseconds; null for anything else. */
export const parseDuration = (text: string): number | null => {
  const m = /^(\d{1,9})(ms|s|m|h|d|w)$/.exec(text.trim())
  if (!m) return null
  return Number(m[1]) * (UNITS[m[2] as string] as number)
}

/** The horizon flags, validated: exactly one of an age or an HLC. */
export const compactTarget = (
  flags: { olderThan: string | undefined; horizon: string | undefined },
  usage: (message: string) => Error,
): Pick<CompactOptions, 'olderThan' | 'horizon'> => {
  const { olderThan, horizon } = flags
  if ((olderThan === undefined) === (horizon === undefined))
    throw usage('compact needs one of --older-than AGE (e.g. 30d) or --horizon HLC')
  if (horizon !== undefined) {
    if (!isHlc(horizon))
      throw usage(
        `--horizon must be an HLC like 2026-11-26T04:46:02.123Z-0000-NODE, got ${JSON.stringify(horizon)}`,
      )
    return { horizon }
  }
  const ms = parseDuration(olderThan as string)
  if (ms === null)
    throw usage(
      `--older-than must be an age like 30d, 12h, 90m, 45s or 500ms, got ${JSON.stringify(olderThan)}`,
    )
  return { olderThan: ms }
}

/** One progress line, e.g. `compact: space 2 of 5 (0190…), rewrite: 1,200 bundles, 90,000 dropped`. */
export const progressLine = (p: CompactProgress): string =>
  `compact: space ${p.streamsDone + 1} of ${count(p.streams)} (${p.stream}), ${p.phase}: ${count(p.bundles)} bundles, ${count(p.events)} events${p.phase === 'rewrite' ? `, ${count(p.dropped)} dropped` : ''}`

/** The closing line of a run. */
export const summaryLine = (result: CompactResult, ms: number): string =>
  `compacted ${count(result.streams)} spaces below ${result.horizon}: ${count(result.dropped)} of ${count(result.events)} events dropped from ${count(result.bundles)} bundles (${count(result.emptied)} left empty) in ${ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : duration(ms / 1000)}`

/** `tidings compact`: runs `Store.compact`, progress throttled on stderr. */
export const runCompact = async (
  store: Store,
  command: {
    options: CompactOptions
    quiet: boolean
    env: Record<string, string | undefined>
    err: (text: string) => void
    out: (text: string) => void
    isTTY?: boolean
  },
): Promise<CompactResult> => {
  const setting = command.env.TIDINGS_PROGRESS_MS
  const everyMs =
    setting !== undefined && /^\d{1,9}$/.test(setting)
      ? Number(setting)
      : command.isTTY
        ? DEFAULT_PROGRESS_MS.terminal
        : DEFAULT_PROGRESS_MS.plain
  let last = Number.NEGATIVE_INFINITY
  const started = Date.now()
  const result = await store.compact({
    ...command.options,
    onProgress: (p) => {
      if (command.quiet || Date.now() - last < everyMs) return
      last = Date.now()
      command.err(progressLine(p))
    },
  })
  command.out(summaryLine(result, Date.now() - started))
  return result
}
