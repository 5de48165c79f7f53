/**
 * `npm run bench [-- --quick] [-- --only name[,name]] [-- --runs N]`: every measurement beside
 * its baseline in one run, one Markdown table on stdout, `bench/results/latest.json`, and (full
 * runs of every benchmark only, or with `--results`) `bench/RESULTS.md`. Exit code 0 when
 * everything was measured, 1 when a measurement failed, 2 when the run could not start
 * (unknown benchmark, no `--expose-gc`).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { stopServers } from './child.js'
import { FIXTURES } from './fixtures.js'
import { requireGc, USAGE_EXIT } from './gc.js'
import { dropTempDatabases } from './pg.js'
import { DEFAULT_SAMPLING, runBenchmarks } from './runner.js'

const usage = (message: string): never => {
  console.error(message)
  process.exit(USAGE_EXIT)
}

try {
  requireGc()
} catch (error) {
  usage(`cannot benchmark: ${error instanceof Error ? error.message : String(error)}`)
}

// Loaded after the check: a run that cannot start says so before loading every benchmark.
const { BENCHES } = await import('./benches.js')

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', multiple: true },
    runs: { type: 'string' },
    results: { type: 'boolean', default: false },
    note: { type: 'string' },
  },
})
// The runner's own test selects deliberately broken benchmarks; nothing else can.
const fixtures = process.env.TIDINGS_BENCH_FIXTURES === '1'
const known = fixtures ? [...BENCHES, ...FIXTURES] : BENCHES
const only = (values.only ?? []).flatMap((o) => o.split(',')).filter(Boolean)
const unknown = only.filter((name) => !known.some((b) => b.name === name))
if (unknown.length > 0)
  usage(`unknown benchmark ${unknown.join(', ')}; known: ${known.map((b) => b.name).join(', ')}`)
const asked = Number(values.runs ?? DEFAULT_SAMPLING.runs)
if (!Number.isInteger(asked)) usage(`--runs must be a whole number, got ${values.runs}`)
// Fewer than 5 kept samples would make the spread meaningless: --runs can only raise it.
const runs = Math.max(DEFAULT_SAMPLING.runs, asked)
const quick = values.quick ?? false
const selected = only.length > 0 ? known.filter((b) => only.includes(b.name)) : BENCHES

const benchDir = path.resolve(import.meta.dirname, '..')
const flags = [
  quick ? '--quick' : '',
  values.results ? '--results' : '',
  values.runs ? `--runs ${runs}` : '',
  only.length > 0 ? `--only ${only.join(',')}` : '',
].filter(Boolean)
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tidings-bench-'))

// Ctrl-C: stop the server processes and drop the temporary databases before leaving.
let interrupted = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`${signal}: cleaning up`)
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
  process.exitCode = await runBenchmarks({
    benches: selected,
    quick,
    runs,
    warmups: DEFAULT_SAMPLING.warmups,
    command: `npm run bench${flags.length > 0 ? ` -- ${flags.join(' ')}` : ''}`,
    tmp,
    // TIDINGS_BENCH_OUT: somewhere else than bench/results (the runner's test).
    resultsDir: process.env.TIDINGS_BENCH_OUT ?? path.join(benchDir, 'results'),
    resultsMd:
      (!quick || values.results) && only.length === 0 ? path.join(benchDir, 'RESULTS.md') : null,
    ...(values.note ? { note: values.note } : {}),
    interrupted: () => interrupted,
  })
} finally {
  await stopServers()
  await dropTempDatabases()
  rmSync(tmp, { recursive: true, force: true })
}
