import type { Failure } from './checks.js'
import { knownBugsOf } from './known-bugs.js'
import { type Outcome, runSchedule, type ScheduleOptions } from './schedule.js'

/** A progress line every this many schedules (long runs take hours). */
const PROGRESS_EVERY = 1_000

/** What a run of many schedules found. */
export interface RunReport {
  schedules: number
  /** Failures no known bug explains: each fails the run. */
  failed: Outcome[]
  /** Schedules explained by a known bug, by bug id. */
  known: Map<string, number[]>
  wallMs: number
  cpuMs: number
}

/** Runs `count` schedules with seeds `first`, `first + 1`, …, one after the other. */
export const runSchedules = async (
  first: number,
  count: number,
  options: ScheduleOptions = {},
): Promise<RunReport> => {
  const report: RunReport = { schedules: count, failed: [], known: new Map(), wallMs: 0, cpuMs: 0 }
  const started = performance.now()
  const cpu = process.cpuUsage()
  for (let seed = first; seed < first + count; seed++) {
    const outcome = await runSchedule(seed, options)
    const done = seed - first + 1
    if (done % PROGRESS_EVERY === 0 && done < count) console.log(`sim: ${done}/${count} schedules…`)
    if (outcome.failures.length === 0) continue
    const bugs = knownBugsOf(outcome.failures)
    // Said at once, so a run stopped early (a timeout, ^C) still names every seed it found.
    if (!bugs) console.error(describeFailure(outcome))
    else console.log(`sim: seed ${seed}: known bug ${bugs.map((b) => b.id).join(' + ')}`)
    if (!bugs) report.failed.push(outcome)
    for (const bug of bugs ?? [])
      report.known.set(bug.id, [...(report.known.get(bug.id) ?? []), seed])
  }
  const used = process.cpuUsage(cpu)
  report.wallMs = performance.now() - started
  report.cpuMs = (used.user + used.system) / 1_000
  return report
}

/** One line per failure, with the replay command. */
export const describeFailure = (outcome: Outcome): string =>
  [
    outcome.scripted
      ? 'sim: scripted schedule FAILED'
      : `sim: schedule FAILED with seed ${outcome.seed} (replay: SIM_SEED=${outcome.seed} npx vitest run --project sim tests/sim/replay.test.ts)`,
    ...outcome.failures.map(
      (f: Failure) => `  ${f.check}${f.device ? ` on ${f.device}` : ''}: ${f.detail}`,
    ),
  ].join('\n')

/** The run's summary line: schedules, speed, known bugs hit. */
export const summary = (report: RunReport): string => {
  const perSecond = (report.schedules / report.wallMs) * 1_000
  const perCpuSecond = (report.schedules / report.cpuMs) * 1_000
  const known = [...report.known].map(
    ([id, seeds]) =>
      `${id} ×${seeds.length} (seeds ${seeds.slice(0, 5).join(', ')}${seeds.length > 5 ? ', …' : ''})`,
  )
  return [
    `sim: ${report.schedules} schedules in ${(report.wallMs / 1_000).toFixed(1)} s: ${perSecond.toFixed(1)} schedules/s (${perCpuSecond.toFixed(1)} per CPU-second)`,
    `sim: ${report.failed.length} failed; known bugs: ${known.length ? known.join('; ') : 'none hit'}`,
  ].join('\n')
}

/** Schedules per CI run (all files together); `SIM_SCHEDULES` overrides. */
export const DEFAULT_SCHEDULES = 1_000

/**
 * The seeds of one of `files` test files that split a run between them (vitest runs files in
 * parallel): the run's base seed is `SIM_BASE_SEED`, or `DEFAULT_BASE_SEED`, printed.
 */
export const shareOf = (
  file: number,
  files: number,
): { first: number; count: number; base: number; total: number } => {
  const total = Number(process.env.SIM_SCHEDULES ?? DEFAULT_SCHEDULES)
  const base = baseSeed()
  const per = Math.ceil(total / files)
  const first = base + file * per
  return { first, count: Math.max(0, Math.min(per, total - file * per)), base, total }
}

let base: number | undefined

/** The base seed of `npm test` and CI: the same 1,000 schedules every run, never a flake. */
export const DEFAULT_BASE_SEED = 1

/**
 * `SIM_BASE_SEED` (a number, or `random` to explore new schedules: each file then draws its
 * own, printed), else `DEFAULT_BASE_SEED`. Every failure prints its own seed either way.
 */
const baseSeed = (): number => {
  const given = process.env.SIM_BASE_SEED
  base ??=
    given === 'random'
      ? Math.floor(Math.random() * 2 ** 30)
      : given && /^\d+$/.test(given)
        ? Number(given)
        : DEFAULT_BASE_SEED
  return base
}
