import type { Machine } from './machine.js'
import { isCell, type Row, renderTable } from './table.js'

export interface Results {
  rows: readonly Row[]
  machine: Machine
  command: string
  seconds: number
  quick: boolean
  runs: number
  warmups: number
  /** 1-minute load average when the run ended (the machine's at its start). */
  loadAtEnd: number
  /** A sentence under the table about the conditions (`--note`). */
  note?: string
  /** Benchmarks not run yet: the page is written after each one, so a stopped run keeps it. */
  pending?: readonly string[]
}

/** The goals in words: which are met, which within noise, which missed or not measured. */
const goalLines = (rows: readonly Row[]): string[] =>
  rows
    .filter((row) => row.goal !== undefined)
    .map((row) => {
      const why = !isCell(row.ours) && row.ours ? ` (${row.ours.error.split('\n')[0]})` : ''
      return `- **${row.verdict ?? 'not measured'}**: ${row.measure} — goal ${row.goal}${why}`
    })

/** How every row was measured: what RESULTS.md promises, in the words of the code. */
const method = (r: Results): string => `## How each row was measured

- **Samples.** Every measured cell is \`median [min–max]\` over ${r.runs} kept samples, taken after
  ${r.warmups} discarded warm-up run${r.warmups === 1 ? '' : 's'} of the same work (JIT, caches, lazy setup). At least 5 are kept
  (\`--runs N\` can only raise it). \`bench/results/latest.json\` keeps every kept sample.
  Cells without a spread are published figures, not measured here.
- **Collected heap.** The runner refuses to start without \`node --expose-gc\` (exit 2). Before
  every timed sample, ours and the baselines' alike, a full collection runs in the bench process
  and in every server process taking part (asked over IPC, awaited): every load run (autocannon,
  raw pg), every propagation write, every RSS reading of a server. Peak-RSS samples are fresh
  processes.
- **Ratio** is median(ours) ÷ median(baseline); the range beside it is every pairing of samples,
  [min(ours) ÷ max(baseline) – max(ours) ÷ min(baseline)]. For throughputs higher is better, for
  times lower is better.
- **Verdict.** "met" only when the least favourable pairing clears the goal: for "≥ x of the
  baseline" our slowest sample against the baseline's fastest (min(ours) ÷ max(baseline) ≥ x),
  for "≤ x× of the baseline" max(ours) ÷ min(baseline) ≤ x, for a limit in our own unit every
  sample (max ≤ limit). "within noise" when the medians clear it but that pairing does not;
  "missed" when the medians do not.
- **Equal footing.** Each benchmark that needs a server starts its own server process and
  database (a new SQLite file, or a new Postgres database dropped afterwards), per case: no case
  runs on a server another benchmark or case filled. Both sides of a comparison run in the same
  run, on the same machine, never concurrently (except the peak-RSS pair). Where both sides run
  in this process (local write, remote apply, fetch) their samples are taken in turns, so a
  change in the machine's load falls on both alike.

Per benchmark (sizes: full run; \`--quick\` uses the smaller ones named in its table):

- **local write**: each sample a new file client (WAL) creating the documents through the public
  API in transactions of 2,500 (10,000 events, one bundle). Baseline: the same events inserted
  with one cached prepared statement into a bare table of a new file, in transactions of the same
  size, with the client's pragmas (WAL, synchronous NORMAL, 64 MiB cache, checkpoint every
  10,000 pages). The reference row adds the last-writer-wins upsert per event.
- **remote apply**: each sample a new file client whose \`sync()\` pulls pages of 10 bundles ×
  1,000 events from an in-memory fake server (its \`fetch\`): parse, validate, apply, nothing
  else. Baseline: the raw insert above of the very events the pages carry, one transaction per
  page's worth (10,000 events).
- **fetch**: both sides hold the same documents. Ours: \`client.fetch\`, objects out. Baseline:
  the statement the client compiles for the same query (same columns, \`deleted = 0\`, ordered
  by id; the page: \`author = ?\` ordered by title then id, limit 50) on a bare table with the
  client's physical design (WITHOUT ROWID keyed by id, the same (author, title) index), prepared
  once and read with \`.raw()\` (arrays, as the client reads). One sample is one call; calls
  are cheap, so 15 samples are kept per side. The prototype rows are its published figures, on
  its own machine.
- **peers**: ours on a server process and SQLite file of its own; each sample a new user and two
  new file clients: A creates the entities and syncs, B syncs and reads them back. The peers
  run in memory on the same entity data, each sample from scratch.
- **memory**: each sample a fresh process writing and reading back the documents, its peak RSS
  (\`maxRSS\`); ours and the bare better-sqlite3 process run side by side, one of each at a time.
- **initial sync**: per backend a new server process and database seeded with the events by one
  user; each sample a new file client pulling everything. The baseline is PowerSync's
  published figure (not measured here), so the goal is judged on our samples alone.
- **sync vs history**: each case (1,000 events of history, and the large one) on its own new
  server process and SQLite file, seeded the same way; the client pulls the history, then each
  sample changes one attribute and times \`sync()\` (9 kept samples per case).
- **server throughput**: autocannon, 50 connections, one new ~2 KB bundle per request, each case
  on its own new server process and database (bare Fastify route; SQLite file; SQLite in memory
  for the JWT row, whose two sides share that server; Postgres, a new database per case). Raw
  pg: 8 connections each inserting one ~2 KB bundle as jsonb per transaction into a new
  database. p50 and p99 are autocannon's per sample, shown as median [min–max]; the Postgres
  goal also needs every sample's p99 ≤ 50 ms for "met".
- **live**: two server processes on one new Postgres database. Propagation: every write is a
  sample (the first writes discarded), latency from the write on A to B's observer seeing it
  (B holds a live stream; C polls every 500 ms). Idle streams: per sample the node's RSS after a
  collection, then with the idle streams open (1 s later, after a collection); the streams are
  closed between samples, so after the warm-up "no stream" includes memory the allocator kept.
- **spaces**: per case a new server process and database (SQLite file; Postgres, a new
  database), protocol 3 requests over HTTP, both sides of a row on that one server with samples
  taken in turns; one sample is the mean of 40 requests one after another (10 under
  \`--quick\`). Idle sync: one user in 200 shared spaces (each holding a bundle) against one in
  a single space, both caught up, syncing with nothing new; the request sizes are in the note.
  Push: the owner pushes one ~2 KB bundle into a space of 1,000 members (100 under
  \`--quick\`, joined by invite) against one into a space of its own.
`

/** The table for the terminal and the whole `RESULTS.md` page. */
export const renderResults = (results: Results): { table: string; markdown: string } => {
  const table = renderTable(results.rows)
  const m = results.machine
  const conditions = [
    `Load average (1 min) ${m.loadAverage} at the start, ${results.loadAtEnd} at the end, on ${m.cores} cores.`,
    results.note ?? '',
  ]
    .filter(Boolean)
    .join(' ')
  const incomplete =
    results.pending && results.pending.length > 0
      ? `\n**Incomplete**: the run had not reached ${results.pending.join(', ')} when this page was written.\n`
      : ''
  const markdown = `# Benchmark results
${incomplete}
Produced by \`${results.command}\` on ${new Date().toISOString().slice(0, 10)} in ${Math.round(results.seconds)} s.
Every measured value is \`median [min–max]\` of ${results.runs} samples after ${results.warmups} discarded warm-up run${results.warmups === 1 ? '' : 's'},
each from a collected heap, and every baseline ran in the same run on the same machine (details
below the table).

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

${conditions}

## Goals

${goalLines(results.rows).join('\n')}

${method(results)}
## How to run

\`npm run bench\` (full, many minutes) or \`npm run bench -- --quick\` (smaller sizes, as CI
runs it); \`--only name[,name]\` runs some benchmarks (${'`'}local-write, remote-apply, fetch, peers,
memory, initial-sync, sync-vs-history, server-throughput, live, spaces${'`'}), \`--runs N\` keeps more
samples, \`--note TEXT\` adds a sentence about the conditions under the table. It exits 1 when
any measurement failed and 2 when it cannot start. Postgres is taken from \`TIDINGS_BENCH_PG\` or
\`postgres://postgres@127.0.0.1:5432/test\`; each benchmark creates and drops its own temporary
databases there. The full table with every sample is written to \`bench/results/latest.json\`.
To see where time goes, run it under the profiler:
\`node --cpu-prof --expose-gc --import tsx --conditions=@tidings/source bench/src/main.ts --only NAME\`
(server processes inherit the flags and write their own profiles).
`
  return { table, markdown }
}
