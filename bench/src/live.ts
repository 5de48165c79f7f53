import http from 'node:http'
import { ROUTES } from '@tidings/protocol'
import type { Bench } from './context.js'
import { makeRow } from './context.js'
import { runPropagation } from './propagation.js'
import { takeUsers } from './seed.js'
import { missing } from './table.js'

const NOT_BUILT = 'not measured: live sync not built'

/** The status `GET /v1/live` answers on `url` (the stream is closed at once). */
const liveStatus = (url: string, token: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = http.get(
      `${url}${ROUTES.live}`,
      { agent: false, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } },
      (res) => {
        resolve(res.statusCode ?? 0)
        req.destroy()
      },
    )
    req.on('error', reject)
  })

/**
 * Propagation A → server → B (live pokes beside poll-only) and server memory at 1,000 idle live
 * streams, measured by `propagation.ts`; rows saying so when the server has no `/v1/live`.
 */
export const live: Bench = {
  name: 'live',
  async run(ctx) {
    const { server, tokens } = await takeUsers(ctx, 1)
    if ((await liveStatus(server.url, tokens[0] as string)) === 404) {
      for (const measure of [
        'propagation: write on A visible on B (ms)',
        'server RSS at 1,000 idle live connections (MiB)',
      ])
        ctx.report(makeRow({ bench: 'live', measure, ours: missing(NOT_BUILT), baseline: null }))
      return
    }
    const rows = await runPropagation({
      writes: ctx.size(200, 10),
      pollIntervalMs: 500,
      idleConnections: ctx.size(1_000, 200),
      log: ctx.log,
    })
    for (const row of rows) ctx.report(row)
  },
}
