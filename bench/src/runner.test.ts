import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import type { Row } from './table.js'

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url))
const out = mkdtempSync(path.join(os.tmpdir(), 'tidings-bench-runner-'))
afterAll(() => rmSync(out, { recursive: true, force: true }))

/**
 * `npm run bench` as CI runs it (same Node flags), selecting the fixture benchmarks that only
 * `TIDINGS_BENCH_FIXTURES=1` makes known; results go to a scratch folder, never bench/results.
 */
const bench = (
  args: string[],
  flags = ['--expose-gc'],
): Promise<{ code: number | null; stdout: string; stderr: string; rows: () => Row[] }> =>
  new Promise((resolve, reject) => {
    // A folder per run: the tests run at once, and must not read each other's latest.json.
    const dir = mkdtempSync(path.join(out, 'run-'))
    const rows = (): Row[] =>
      (JSON.parse(readFileSync(path.join(dir, 'latest.json'), 'utf8')) as { rows: Row[] }).rows
    const child = spawn(
      process.execPath,
      [...flags, '--import', 'tsx', '--conditions=@tidings/source', MAIN, '--quick', ...args],
      { env: { ...process.env, TIDINGS_BENCH_FIXTURES: '1', TIDINGS_BENCH_OUT: dir } },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr, rows }))
  })

describe.concurrent('the benchmark runner', { timeout: 120_000 }, () => {
  it('exits 1 when a benchmark throws, with the failure in the table', async () => {
    const run = await bench(['--only', 'fixture-throws'])
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('fixture-throws: did not finish')
    expect(run.stderr).toContain('this benchmark is broken on purpose')
  })

  it('exits 1 when a benchmark reports a measurement it could not make, even beside good rows', async () => {
    const run = await bench(['--only', 'fixture-steady,fixture-unmeasured'])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('a measurement that failed: server answered 429')
  })

  it('exits 0 with 5 samples after a discarded warm-up, printed as median [min–max]', async () => {
    const run = await bench(['--only', 'fixture-steady', '--runs', '2'])
    expect(run.code).toBe(0)
    const [row] = run.rows()
    // --runs can only raise the count: 2 asks for fewer than 5, 5 are kept, 6 calls made.
    expect(row?.measure).toBe('an empty function, called 6 times')
    expect(row?.ours && 'samples' in row.ours && row.ours.samples).toHaveLength(5)
    expect(row?.verdict).toBe('met')
    expect(run.stdout).toMatch(
      /\| an empty function, called 6 times \| [\d.]+ \[[\d.]+–[\d.]+\] ms \|/,
    )
  })

  it('refuses to start (exit 2) without --expose-gc, as no sample could start from a collected heap', async () => {
    const run = await bench(['--only', 'fixture-steady'], [])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('--expose-gc')
  })
})
