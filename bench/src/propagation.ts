/**
 * Live sync across two server nodes (issue 7), for the bench engineer: call
 * `runPropagation({ writes, pollIntervalMs, idleConnections, log })` from the `live` bench and
 * `ctx.report` each returned row. It measures, in one run:
 * - propagation latency, write on client A (through node 1) → visible on client B (through
 *   node 2), median and p99, with pokes (B keeps a live stream, never polls) beside the
 *   poll-only path (client C, no live stream, syncing every `pollIntervalMs`) on the same writes;
 * - node 2's RSS with `idleConnections` idle live streams open.
 * Both nodes are `tidings serve` processes sharing one fresh Postgres database (pokes cross
 * them through LISTEN/NOTIFY); without Postgres it falls back to one SQLite node and says so.
 * Standalone: `node --expose-gc --import tsx --conditions=@tidings/source bench/src/propagation.ts`.
 */
import http from 'node:http'
import { performance } from 'node:perf_hooks'
import { ROUTES } from '@tidings/protocol'
import { rssOf, type ServerHandle, startServerProcess } from './child.js'
import { makeRow } from './context.js'
import { collect } from './gc.js'
import { tempDatabase } from './pg.js'
import { MIN_RUNS, median, percentile, type Sampling, sample, WARMUPS } from './stats.js'
import { type Cell, fmt, missing, type Row, sampled } from './table.js'
import { type BenchClient, loadTidings } from './tidings.js'
import { docFields } from './workload.js'

export interface PropagationOptions {
  /** Writes on A, each awaited until both B and C hold it; default 200. */
  writes?: number
  /** Writes before those, discarded (JIT, first connections, caches); default 10. */
  warmupWrites?: number
  /** Runs of the idle-stream memory figure; default 1 warm-up and 5 kept. */
  sampling?: Sampling
  /** C's sync period, the poll-only path; default 500 ms. */
  pollIntervalMs?: number
  /** Idle live streams held open on node 2 for the memory figure; default 1,000. */
  idleConnections?: number
  log?: (message: string) => void
}

const NO_POLLING_MS = 3_600_000
const BENCH = 'live'

/** Two nodes on one Postgres (or one SQLite node), always stopped and dropped afterwards. */
const withNodes = async <T>(
  log: (message: string) => void,
  fn: (nodes: { one: ServerHandle; two: ServerHandle; token: string; setup: string }) => Promise<T>,
): Promise<T> => {
  let db: { url: string; drop: () => Promise<void> } | null = null
  try {
    db = await tempDatabase()
  } catch (error) {
    log(`propagation: ${String(error)}; measuring one SQLite node instead`)
  }
  const started: ServerHandle[] = []
  try {
    if (!db) {
      const only = await startServerProcess({ kind: 'tidings', db: 'memory', users: 1 })
      started.push(only)
      return await fn({
        one: only,
        two: only,
        token: only.tokens[0] as string,
        setup: '1 node, SQLite',
      })
    }
    // One after the other: the first migrates the fresh database.
    const one = await startServerProcess({ kind: 'tidings', db: db.url, users: 1 })
    started.push(one)
    const two = await startServerProcess({ kind: 'tidings', db: db.url, users: 0 })
    started.push(two)
    return await fn({ one, two, token: one.tokens[0] as string, setup: '2 nodes, Postgres' })
  } finally {
    await Promise.all(started.map((s) => s.stop()))
    await db?.drop()
  }
}

/** Resolves with the time `title` shows up in `client`, via its observer (no extra reads). */
const seen = (client: BenchClient, title: string, timeoutMs = 30_000): Promise<number> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`"${title}" not visible after ${timeoutMs} ms`)),
      timeoutMs,
    )
    const off = client.observe('document', { where: { title } }, (rows) => {
      if (rows.length === 0) return
      clearTimeout(timer)
      queueMicrotask(() => off())
      resolve(performance.now())
    })
  })

/** Every kept write is a sample: median [min–max], and the p99 beside it. */
const latencyCell = (samples: number[]): Cell => {
  const p99 = percentile(samples, 99)
  const c = sampled(samples, 'ms', (spread) => `${spread}, p99 ${fmt(p99)} ms`)
  c.extra = { p99 }
  return c
}

type Settings = Required<Omit<PropagationOptions, 'log'>>

const propagation = async (
  nodes: { one: ServerHandle; two: ServerHandle; token: string },
  options: Settings,
): Promise<{ live: Cell; poll: Cell }> => {
  const tidings = await loadTidings()
  const a = await tidings.open(':memory:', { url: nodes.one.url, token: nodes.token, live: false })
  const b = await tidings.open(':memory:', {
    url: nodes.two.url,
    token: nodes.token,
    intervalMs: NO_POLLING_MS,
  })
  const c = await tidings.open(':memory:', {
    url: nodes.two.url,
    token: nodes.token,
    intervalMs: options.pollIntervalMs,
    live: false,
  })
  try {
    b.startSync()
    c.startSync()
    await new Promise((resolve) => setTimeout(resolve, 500)) // B's live stream opens
    const live: number[] = []
    const poll: number[] = []
    const servers = nodes.one === nodes.two ? [nodes.one] : [nodes.one, nodes.two]
    for (let i = 0; i < options.warmupWrites + options.writes; i++) {
      // Every write from a collected heap in all three processes (clients here, both nodes).
      await collect(servers)
      // A random pause first: writing right after C's last sync would phase-lock the writes to
      // C's timer, and every poll-only sample would wait a full interval.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * options.pollIntervalMs))
      const title = `probe ${i} ${Date.now()}`
      const onB = seen(b, title)
      const onC = seen(c, title)
      const start = performance.now()
      await a.create('document', { ...docFields(i), title })
      await a.sync()
      const [atB, atC] = await Promise.all([onB, onC])
      if (i < options.warmupWrites) continue
      live.push(atB - start)
      poll.push(atC - start)
    }
    return { live: latencyCell(live), poll: latencyCell(poll) }
  } finally {
    await Promise.all([a.close(), b.close(), c.close()])
  }
}

/** Opens one idle live stream with a raw socket (no client), resolving once it answered. */
const openIdle = (url: string, token: string): Promise<http.ClientRequest> =>
  new Promise((resolve, reject) => {
    const req = http.get(
      `${url}${ROUTES.live}`,
      { agent: false, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } },
      (res) => {
        res.resume()
        if (res.statusCode === 200) resolve(req)
        else reject(new Error(`live answered ${res.statusCode}`))
      },
    )
    req.on('error', reject)
  })

/**
 * RSS of `node`, MiB, with no stream and then with `count` idle live streams open, each read
 * after a full collection in the node; one run per sample (the warm-up run discarded), the
 * streams closed between runs. After the warm-up, "no stream" includes memory the allocator
 * kept from streams held before (RSS rarely shrinks), as it would in a long-running server.
 */
const idleMemory = async (
  node: ServerHandle,
  token: string,
  count: number,
  sampling: Sampling,
): Promise<{ before: Cell; during: Cell }> => {
  const rss = async (): Promise<number> => {
    await node.collect()
    return rssOf(node.pid).rss
  }
  const runs = await sample(sampling, async () => {
    const before = await rss()
    const open: http.ClientRequest[] = []
    try {
      for (let i = 0; i < count; i += 100)
        open.push(
          ...(await Promise.all(
            Array.from({ length: Math.min(100, count - i) }, () => openIdle(node.url, token)),
          )),
        )
      await new Promise((resolve) => setTimeout(resolve, 1_000))
      return { before, during: await rss() }
    } finally {
      for (const req of open) req.destroy()
      // Let the node see the closes before the next run's "no stream" reading.
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  })
  const before = runs.map((r) => r.before)
  const during = runs.map((r) => r.during)
  const perStream = runs.map((r) => ((r.during - r.before) * 1024) / count)
  const c = sampled(
    during,
    'MiB',
    (spread) => `${spread} (+${fmt(median(perStream))} KiB per stream)`,
  )
  c.extra = { perConnectionKiB: perStream, connections: count }
  return { before: sampled(before, 'MiB'), during: c }
}

/** The rows described at the top of this file. */
export const runPropagation = async (options: PropagationOptions = {}): Promise<Row[]> => {
  const settings: Settings = {
    writes: options.writes ?? 200,
    warmupWrites: options.warmupWrites ?? 10,
    pollIntervalMs: options.pollIntervalMs ?? 500,
    idleConnections: options.idleConnections ?? 1_000,
    sampling: options.sampling ?? { warmups: WARMUPS, runs: MIN_RUNS },
  }
  const log = options.log ?? ((message: string) => console.error(message))
  return withNodes(log, async (nodes) => {
    const rows: Row[] = []
    const latency = `propagation, write on A → visible on B (${nodes.setup}, ${settings.writes} writes after ${settings.warmupWrites} discarded), ms`
    log(
      `propagation: ${settings.writes} writes, live vs poll every ${settings.pollIntervalMs} ms (${nodes.setup})`,
    )
    try {
      const { live, poll } = await propagation(nodes, settings)
      rows.push(
        makeRow({
          bench: BENCH,
          measure: latency,
          ours: live,
          baseline: poll,
          baselineName: `poll-only, every ${settings.pollIntervalMs} ms`,
        }),
      )
    } catch (error) {
      rows.push(makeRow({ bench: BENCH, measure: latency, ours: missing(error), baseline: null }))
    }
    const memory = `server RSS with ${fmt(settings.idleConnections)} idle live streams (${nodes.setup}), MiB`
    log(`propagation: ${settings.idleConnections} idle live streams on node 2`)
    try {
      const { before, during } = await idleMemory(
        nodes.two,
        nodes.token,
        settings.idleConnections,
        settings.sampling,
      )
      rows.push(
        makeRow({
          bench: BENCH,
          measure: memory,
          ours: during,
          baseline: before,
          baselineName: 'same node, no stream',
        }),
      )
    } catch (error) {
      rows.push(makeRow({ bench: BENCH, measure: memory, ours: missing(error), baseline: null }))
    }
    return rows
  })
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await runPropagation()
  for (const row of rows)
    console.log(JSON.stringify(row, (key, value) => (key === 'samples' ? undefined : value)))
}
