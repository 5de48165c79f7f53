import type { Machine } from './machine.js'
import { isCell, type Row, renderTable } from './table.js'

export interface Results {
  rows: readonly Row[]
  machine: Machine
  command: string
  seconds: number
  quick: boolean
  runs: number
}

/** The goals in words: which are met, which missed, which could not be measured. */
const goalLines = (rows: readonly Row[]): string[] =>
  rows
    .filter((row) => row.goal !== undefined)
    .map((row) => {
      const verdict = row.met === undefined ? 'not measured' : row.met ? 'met' : 'missed'
      const why = !isCell(row.ours) && row.ours ? ` (${row.ours.error.split('\n')[0]})` : ''
      return `- **${verdict}**: ${row.measure} — goal ${row.goal}${why}`
    })

/** The table for the terminal and the whole `RESULTS.md` page. */
export const renderResults = (results: Results): { table: string; markdown: string } => {
  const table = renderTable(results.rows)
  const m = results.machine
  const markdown = `# Benchmark results

Produced by \`${results.command}\` on ${new Date().toISOString().slice(0, 10)} in ${Math.round(results.seconds)} s.
Every value is the median of ${results.runs} runs, and every baseline ran in the same run on the
same machine; each timed sample, ours and the baselines', starts from a collected heap.
"ratio" is ours ÷ baseline (for throughputs higher is better, for times lower is better).

## Machine

| | |
| --- | --- |
| CPU | ${m.cpu} |
| cores | ${m.cores} |
| memory | ${m.memoryGiB} GiB |
| OS | ${m.os} |
| Node | ${m.node} |
| SQLite | ${m.sqlite} |
| Postgres | ${m.postgres} |
| load average at start (1 min) | ${m.loadAverage} |

## Results

${table}

## Goals

${goalLines(results.rows).join('\n')}

## How to run

\`npm run bench\` (full, several minutes) or \`npm run bench -- --quick\` (smaller sizes, under
two minutes); \`--only name[,name]\` runs some benchmarks (${'`'}local-write, remote-apply, fetch, peers,
memory, initial-sync, sync-vs-history, server-throughput, live${'`'}). Postgres is taken from
\`TIDINGS_BENCH_PG\` or \`postgres://postgres@127.0.0.1:5432/test\`; each benchmark creates and
drops its own temporary database there. The full table with every sample is written to
\`bench/results/latest.json\`. To see where time goes, run it under the profiler:
\`node --cpu-prof --expose-gc --import tsx --conditions=@tidings/source bench/src/main.ts --only NAME\`
(server processes inherit the flag and write their own profiles).
`
  return { table, markdown }
}
