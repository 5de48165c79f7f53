/**
 * `npm run bench [-- --quick] [-- --only name[,name]]`: every measurement beside its baseline in
 * one run, one Markdown table on stdout, `bench/results/latest.json`, and (full runs of every
 * benchmark only, or with `--results`) `bench/RESULTS.md`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import type { Bench, BenchContext } from './context.js'
import { fetchBench } from './fetch.js'
import { initialSync } from './initial-sync.js'
import { live } from './live.js'
import { localWrite } from './local-write.js'
import { describeMachine } from './machine.js'
import { memory } from './memory.js'
import { peers } from './peers.js'
import { dropTempDatabases } from './pg.js'
import { remoteApply } from './remote-apply.js'
import { renderResults } from './results.js'
import { stopServers } from './seed.js'
import { serverThroughput } from './server-throughput.js'
import { syncVsHistory } from './sync-vs-history.js'
import { failures, missing, type Row } from './table.js'

const BENCHES: readonly Bench[] = [
  localWrite,
  remoteApply,
  fetchBench,
  peers,
  memory,
  initialSync,
  syncVsHistory,
  serverThroughput,
  live,
]

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', multiple: true },
    runs: { type: 'string' },
    results: { type: 'boolean', default: false },
  },
})
const only = (values.only ?? []).flatMap((o) => o.split(',')).filter(Boolean)
const unknown = only.filter((name) => !BENCHES.some((b) => b.name === name))
if (unknown.length > 0) {
  console.error(
    `unknown benchmark ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}`,
  )
  process.exit(2)
}
const runs = Math.max(3, Number(values.runs ?? 3))
const quick = values.quick ?? false
const selected = only.length > 0 ? BENCHES.filter((b) => only.includes(b.name)) : BENCHES

const benchDir = path.resolve(import.meta.dirname, '..')
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tidings-bench-'))
const rows: Row[] = []
const started = Date.now()
const ctx: BenchContext = {
  quick,
  runs,
  tmp,
  size: (full, small) => (quick ? small : full),
  report: (row) => {
    rows.push(row)
  },
  log: (message) => console.error(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${message}`),
}

// Ctrl-C: stop the server processes and drop the temporary databases before leaving.
let interrupted = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    ctx.log(`${signal}: cleaning up`)
    interrupted = true
    stopServers()
      .then(dropTempDatabases)
      .finally(() => {
        rmSync(tmp, { recursive: true, force: true })
        process.exit(130)
      })
  })
}

try {
  const machine = await describeMachine()
  ctx.log(
    `${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, SQLite ${machine.sqlite}, Postgres ${machine.postgres}`,
  )
  const flags = [
    quick ? '--quick' : '',
    values.results ? '--results' : '',
    only.length > 0 ? `--only ${only.join(',')}` : '',
  ].filter(Boolean)
  const command = `npm run bench${flags.length > 0 ? ` -- ${flags.join(' ')}` : ''}`
  const resultsDir = path.join(benchDir, 'results')
  mkdirSync(resultsDir, { recursive: true })
  // Written after every benchmark too, so an interrupted run keeps what it measured.
  const writeJson = (complete: boolean): void => {
    const seconds = (Date.now() - started) / 1000
    const json = {
      command,
      date: new Date().toISOString(),
      complete,
      seconds,
      quick,
      runs,
      machine,
      rows,
    }
    writeFileSync(path.join(resultsDir, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`)
  }
  for (const bench of selected) {
    if (interrupted) break
    try {
      await bench.run(ctx)
    } catch (error) {
      ctx.log(`${bench.name} failed: ${error instanceof Error ? error.stack : String(error)}`)
      rows.push({
        bench: bench.name,
        measure: `${bench.name}: did not finish`,
        ours: missing(error),
        baseline: null,
      })
    }
    writeJson(false)
  }
  const seconds = (Date.now() - started) / 1000
  const { table, markdown } = renderResults({ rows, machine, command, seconds, quick, runs })
  console.log(table)
  writeJson(true)
  // A benchmark that could not measure is a failure of the run, not a row to skim past: CI's
  // `npm run bench -- --quick` must go red when one breaks (a 429 from a new limit, a dead
  // server, an unreachable Postgres).
  const failed = failures(rows)
  if (failed.length > 0) {
    ctx.log(`${failed.length} measurement(s) failed:\n${failed.join('\n')}`)
    process.exitCode = 1
  }
  if ((!quick || values.results) && only.length === 0) {
    writeFileSync(path.join(benchDir, 'RESULTS.md'), markdown)
    ctx.log('wrote bench/RESULTS.md and bench/results/latest.json')
  } else {
    ctx.log(
      'wrote bench/results/latest.json (RESULTS.md is written by runs of every benchmark, full or with --results)',
    )
  }
} finally {
  await stopServers()
  rmSync(tmp, { recursive: true, force: true })
}
