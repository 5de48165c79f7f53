/**
 * Load soak (not part of `npm test`): many concurrent clients write and sync against a real
 * server process on Postgres for a while; then everyone syncs to quiescence and nothing may
 * be lost. Prints p50/p99 request latency and throughput; exits 1 on any error or loss.
 *
 *   npm run test:soak                       # 100 clients, 60 s
 *   TIDINGS_SOAK_CLIENTS=20 TIDINGS_SOAK_SECONDS=10 npm run test:soak
 */
import { newId } from '@tidings/protocol'
import { type ChaosClient, localEvents, openReplica, randomWrite } from '../chaos/replicas.js'
import { tempPostgres } from '../support/databases.js'
import { Prng, seedFrom } from '../support/prng.js'
import { eventsOf } from '../support/reference-model.js'
import { addUser, spawnServer } from '../support/server-process.js'
import { pullAll } from '../support/wire.js'

const CLIENTS = Number(process.env.TIDINGS_SOAK_CLIENTS ?? 100)
const SECONDS = Number(process.env.TIDINGS_SOAK_SECONDS ?? 60)
const SEED = seedFrom(process.env.TIDINGS_SEED)

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const percentile = (sorted: number[], p: number): number =>
  sorted.length === 0
    ? 0
    : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number)

const main = async (): Promise<number> => {
  const prng = new Prng(SEED)
  const db = await tempPostgres('soak')
  console.log(`[soak] seed ${SEED}: ${CLIENTS} clients for ${SECONDS} s on ${db.kind}`)
  const user = await addUser(db.url, 'soak')
  // 100 clients of one user: far past the default per-user limit, which is not what this measures.
  const server = await spawnServer({
    db: db.url,
    extraArgs: ['--rate-limit', 'off'],
    env: { LOG_LEVEL: 'warn' },
  })
  const latencies: number[] = []
  const errors: string[] = []
  let syncs = 0
  let writes = 0
  const clients: ChaosClient[] = []
  try {
    for (let i = 0; i < CLIENTS; i++)
      clients.push(await openReplica({ url: server.url, token: user.token }))
    const pool = Array.from({ length: 50 }, () => newId())
    const deadline = Date.now() + SECONDS * 1_000
    const started = Date.now()
    const worker = async (client: ChaosClient, own: Prng) => {
      await sleep(own.int(0, 1_000))
      while (Date.now() < deadline) {
        for (let w = own.int(1, 3); w > 0; w--) {
          await randomWrite(client, own, pool)
          writes++
        }
        const t0 = performance.now()
        try {
          await client.sync()
          latencies.push(performance.now() - t0)
          syncs++
        } catch (err) {
          errors.push(String(err))
        }
        await sleep(own.int(300, 1_500))
      }
    }
    await Promise.all(clients.map((c) => worker(c, prng.fork())))
    const elapsed = (Date.now() - started) / 1_000

    // Quiescence: everyone syncs until a whole round moves nothing.
    for (let round = 0; round < 10; round++) {
      let moved = 0
      for (const client of clients) {
        const r = await client.sync()
        moved += r.pulled + r.pushed
      }
      if (moved === 0) break
    }
    const onServer = eventsOf(await pullAll(server.url, user.token))
    const stored = new Set(onServer.map((e) => e.id))
    let lost = 0
    let behind = 0
    for (const client of clients) {
      lost += localEvents(client, true).filter((e) => !stored.has(e.id)).length
      if (localEvents(client).length !== stored.size || client.status.pending !== 0) behind++
    }
    const sorted = [...latencies].sort((a, b) => a - b)
    console.log(
      `[soak] ${syncs} syncs and ${writes} writes in ${elapsed.toFixed(1)} s: ${(syncs / elapsed).toFixed(1)} syncs/s, ` +
        `${(onServer.length / elapsed).toFixed(1)} events/s stored; sync latency p50 ${percentile(sorted, 50).toFixed(1)} ms, ` +
        `p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${percentile(sorted, 100).toFixed(1)} ms; ` +
        `${onServer.length} events on the server; ${errors.length} errors, ${lost} lost events, ${behind} clients not converged; ` +
        `server RSS ${(server.rssBytes() / 2 ** 20).toFixed(0)} MB`,
    )
    for (const e of errors.slice(0, 5)) console.error(`[soak] error: ${e}`)
    return errors.length === 0 && lost === 0 && behind === 0 ? 0 : 1
  } finally {
    for (const client of clients) await client.close().catch(() => undefined)
    await server.stop()
    await db.drop()
  }
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    console.error(`[soak] failed (seed ${SEED}):`, err)
    process.exitCode = 1
  },
)
