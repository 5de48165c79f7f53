import http from 'node:http'
import path from 'node:path'
import { newId, ROUTES } from '@tidings/protocol'
import { rssOf, type ServerHandle } from './child.js'
import { type Bench, type BenchContext, makeRow, settle } from './context.js'
import { takeUsers } from './seed.js'
import { percentile, repeat } from './stats.js'
import { type Cell, cell, fmt, missing } from './table.js'
import { type BenchClient, loadTidings } from './tidings.js'
import { docFields } from './workload.js'

const NOT_BUILT = 'not measured: live sync not built'

/** Opens `GET /v1/live`; resolves once the response has started (or failed), keeping it open. */
const openLive = (
  server: ServerHandle,
  token: string,
): Promise<http.ClientRequest & { status: number }> =>
  new Promise((resolve, reject) => {
    const req = http.get(
      `${server.url}${ROUTES.live}`,
      { agent: false, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } },
      (res) => {
        res.resume()
        resolve(Object.assign(req, { status: res.statusCode ?? 0 }))
      },
    )
    req.on('error', reject)
  })

/** The write on A → visible on B delay: B observes the probe row, A writes and syncs. */
const propagation = async (
  ctx: BenchContext,
  server: ServerHandle,
  writes: number,
): Promise<Cell> => {
  const tidings = await loadTidings()
  const token = server.tokens[0] as string
  const a = await tidings.open(path.join(ctx.tmp, 'live-a.db'), { url: server.url, token })
  const b: BenchClient = await tidings.open(path.join(ctx.tmp, 'live-b.db'), {
    url: server.url,
    token,
  })
  b.startSync()
  try {
    await new Promise((r) => setTimeout(r, 500)) // let B's live stream open
    const samples = await repeat(writes, async (i) => {
      const title = `probe ${newId()}`
      let start = 0
      const seen = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`write ${i} not visible on B after 10 s`)),
          10_000,
        )
        const off = b.observe('document', { where: { title } }, (rows) => {
          if (rows.length === 0) return
          clearTimeout(timer)
          queueMicrotask(() => off())
          resolve(performance.now() - start)
        })
      })
      start = performance.now()
      await a.create('document', { ...docFields(i), title })
      await a.sync()
      return seen
    })
    const p50 = percentile(samples, 50)
    const p99 = percentile(samples, 99)
    const c = cell(p50, 'ms', { samples, text: `p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms` })
    c.extra = { p50, p99 }
    return c
  } finally {
    b.stopSync()
    await a.close()
    await b.close()
  }
}

/** Server RSS before and with `count` idle live connections, MiB. */
const idleConnections = async (
  server: ServerHandle,
  count: number,
): Promise<{ before: Cell; during: Cell }> => {
  const token = server.tokens[0] as string
  const before = rssOf(server.pid).rss
  const open: http.ClientRequest[] = []
  try {
    for (let i = 0; i < count; i += 100) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(100, count - i) }, () => openLive(server, token)),
      )
      open.push(...batch)
      const bad = batch.find((r) => r.status !== 200)
      if (bad) throw new Error(`live answered ${bad.status}`)
    }
    await new Promise((r) => setTimeout(r, 500))
    const during = rssOf(server.pid).rss
    return {
      before: cell(before, 'MiB'),
      during: cell(during, 'MiB', {
        text: `${fmt(during)} MiB (${fmt(((during - before) * 1024) / count)} KiB per connection)`,
      }),
    }
  } finally {
    for (const req of open) req.destroy()
  }
}

const rssMeasure = (connections: number): string =>
  `server RSS at ${fmt(connections)} idle live connections (MiB)`

/** Propagation A → server → B, and server memory at 1,000 idle live connections. */
export const live: Bench = {
  name: 'live',
  async run(ctx) {
    const { server: shared, tokens } = await takeUsers(ctx, 1)
    // This benchmark's own user: B sees A's probes and no other benchmark's writes.
    const server: ServerHandle = { ...shared, tokens }
    const probe = await openLive(server, tokens[0] as string)
    probe.destroy()
    if (probe.status === 404) {
      for (const measure of ['propagation: write on A visible on B (ms)', rssMeasure(1_000)])
        ctx.report(makeRow({ bench: 'live', measure, ours: missing(NOT_BUILT), baseline: null }))
      return
    }
    const writes = ctx.size(100, 20)
    ctx.log(`live: propagation, ${writes} writes`)
    const ours = await settle(() => propagation(ctx, server, writes))
    ctx.report(
      makeRow({
        bench: 'live',
        measure: `propagation: write on A → visible on B through the server, ${writes} writes (ms)`,
        ours,
        baseline: null,
      }),
    )
    const connections = ctx.size(1_000, 200)
    ctx.log(`live: ${connections} idle connections`)
    const rss = await idleConnections(server, connections).catch((error: unknown) => ({
      before: null,
      during: missing(error),
    }))
    ctx.report(
      makeRow({
        bench: 'live',
        measure: rssMeasure(connections),
        ours: rss.during,
        baseline: rss.before,
        baselineName: 'same server, no connection',
      }),
    )
  },
}
