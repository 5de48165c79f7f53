import { describe, expect, it } from 'vitest'
import { postgresReachable } from '../support/databases.js'
import { Prng, seedFrom } from '../support/prng.js'
import { describeReport, runSchedule, type ScheduleReport } from './schedule.js'

/** Short profile by default; `TIDINGS_CHAOS_SCHEDULES=200` for a long run (tests/README.md). */
const SCHEDULES = Number(process.env.TIDINGS_CHAOS_SCHEDULES ?? 3)
const CLIENTS = Number(process.env.TIDINGS_CHAOS_CLIENTS ?? 5)
const STEPS = Number(process.env.TIDINGS_CHAOS_STEPS ?? 30)
const KILLS = Number(process.env.TIDINGS_CHAOS_KILLS ?? 1)
/** Of each schedule's kills, how many restore the database from a backup (every other schedule). */
const RESTORES = Number(process.env.TIDINGS_CHAOS_RESTORES ?? 1)
const SEED = seedFrom(process.env.TIDINGS_SEED)

describe('chaos: replicas converge through faults, server kills and restores, device rollbacks', () => {
  it(
    `${SCHEDULES} schedules of ${CLIENTS} clients (base seed ${SEED})`,
    async () => {
      const pg = await postgresReachable()
      if (!pg) console.warn('[chaos] no Postgres reachable: the postgres schedules run on PGlite')
      const seeds = new Prng(SEED)
      const reports: ScheduleReport[] = []
      for (let i = 0; i < SCHEDULES; i++) {
        // Every third schedule runs on Postgres (or PGlite), the others on a SQLite file.
        const backend = i % 3 === 2 ? 'postgres' : 'sqlite'
        const seed = seeds.int(1, 2 ** 31 - 1)
        const report = await runSchedule({
          seed,
          backend,
          clients: CLIENTS,
          steps: STEPS,
          kills: KILLS,
          // Schedules 1, 3, 5, …: the kills restore a backup (on SQLite and on Postgres).
          restores: i % 2 === 0 ? RESTORES : 0,
          rollbacks: true,
        })
        reports.push(report)
        console.log(`[chaos ${i + 1}/${SCHEDULES}] ${describeReport(report)}`)
        if (report.problems.length > 0) {
          console.error(
            `[chaos] FAILED with seed ${seed} (replay: TIDINGS_SEED=${SEED}):\n${report.problems.slice(0, 20).join('\n')}`,
          )
        }
      }
      const total = (pick: (r: ScheduleReport) => number) =>
        reports.reduce((s, r) => s + pick(r), 0)
      const faults: Record<string, number> = {}
      for (const r of reports)
        for (const [k, v] of Object.entries(r.faults)) faults[k] = (faults[k] ?? 0) + v
      console.log(
        `[chaos] ${reports.length} schedules, ${total((r) => r.clients)} clients, ${total((r) => r.events)} events, ` +
          `${total((r) => r.restarts)} server kills (${total((r) => r.restores)} restored from a backup), ` +
          `${total((r) => r.reopens)} client reopens, ${total((r) => r.rollbacks)} device rollbacks, faults ${JSON.stringify(faults)}`,
      )
      const failed = reports
        .filter((r) => r.problems.length > 0)
        .map((r) => ({ seed: r.seed, problems: r.problems.slice(0, 5) }))
      expect(failed).toEqual([])
      // The run really did break things: otherwise it proves nothing.
      expect(faults.drop ?? 0).toBeGreaterThan(0)
      expect(total((r) => r.rollbacks)).toBeGreaterThan(0)
      if (KILLS > 0 && RESTORES > 0) expect(total((r) => r.restores)).toBeGreaterThan(0)
      expect(total((r) => r.events)).toBeGreaterThan(0)
    },
    120_000 + SCHEDULES * 90_000,
  )
})
