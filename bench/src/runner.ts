/**
 * Runs benchmarks one after another and writes what they measured: the Markdown table on
 * stdout, `latest.json` (after every benchmark, so an interrupted run keeps what it measured)
 * and, when asked, `RESULTS.md`. Resolves with the exit code: 1 when any measurement failed.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Bench, BenchContext } from './context.js'
import { describeMachine } from './machine.js'
import { renderResults } from './results.js'
import { type Sampling, WARMUPS } from './stats.js'
import { failures, missing, type Row } from './table.js'

export interface RunOptions extends Sampling {
  benches: readonly Bench[]
  quick: boolean
  /** The command line, as RESULTS.md quotes it. */
  command: string
  tmp: string
  /** Where latest.json goes. */
  resultsDir: string
  /** Where RESULTS.md goes, or null to leave it alone. */
  resultsMd: string | null
  /** A sentence about the conditions, printed under the table (`--note`). */
  note?: string
  /** Checked before each benchmark: true stops the run (Ctrl-C). */
  interrupted?: () => boolean
}

export const DEFAULT_SAMPLING: Sampling = { runs: 5, warmups: WARMUPS }

export const runBenchmarks = async (options: RunOptions): Promise<number> => {
  const started = Date.now()
  const rows: Row[] = []
  const log = (message: string): void =>
    console.error(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${message}`)
  const ctx: BenchContext = {
    quick: options.quick,
    runs: options.runs,
    warmups: options.warmups,
    tmp: options.tmp,
    size: (full, small) => (options.quick ? small : full),
    report: (row) => {
      rows.push(row)
    },
    log,
  }
  const machine = await describeMachine()
  log(
    `${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, SQLite ${machine.sqlite}, Postgres ${machine.postgres}`,
  )
  mkdirSync(options.resultsDir, { recursive: true })
  const writeJson = (complete: boolean): void => {
    const json = {
      command: options.command,
      date: new Date().toISOString(),
      complete,
      seconds: (Date.now() - started) / 1000,
      quick: options.quick,
      runs: options.runs,
      warmups: options.warmups,
      machine,
      rows,
    }
    writeFileSync(
      path.join(options.resultsDir, 'latest.json'),
      `${JSON.stringify(json, null, 2)}\n`,
    )
  }
  const render = (pending: readonly string[]) =>
    renderResults({
      rows,
      machine,
      command: options.command,
      seconds: (Date.now() - started) / 1000,
      quick: options.quick,
      runs: options.runs,
      warmups: options.warmups,
      loadAtEnd: Math.round(os.loadavg()[0]! * 100) / 100,
      ...(options.note ? { note: options.note } : {}),
      pending,
    })
  for (const [i, bench] of options.benches.entries()) {
    if (options.interrupted?.()) break
    try {
      await bench.run(ctx)
    } catch (error) {
      log(`${bench.name} failed: ${error instanceof Error ? error.stack : String(error)}`)
      rows.push({
        bench: bench.name,
        measure: `${bench.name}: did not finish`,
        ours: missing(error),
        baseline: null,
      })
    }
    writeJson(false)
    // Written after every benchmark too (marked incomplete), so a stopped run keeps its page.
    const pending = options.benches.slice(i + 1).map((b) => b.name)
    if (options.resultsMd && pending.length > 0)
      writeFileSync(options.resultsMd, render(pending).markdown)
  }
  const { table, markdown } = render([])
  console.log(table)
  writeJson(true)
  if (options.resultsMd) {
    writeFileSync(options.resultsMd, markdown)
    log(`wrote ${options.resultsMd} and latest.json`)
  } else log('wrote latest.json (RESULTS.md is written by runs of every benchmark)')
  // A benchmark that could not measure is a failure of the run, not a row to skim past: CI's
  // `npm run bench -- --quick` must go red when one breaks (a 429 from a new limit, a dead
  // server, an unreachable Postgres).
  const failed = failures(rows)
  if (failed.length === 0) return 0
  log(`${failed.length} measurement(s) failed:\n${failed.join('\n')}`)
  return 1
}
