import path from 'node:path'
import { type Bundle, type Event, newId, ROUTES } from '@tidings/protocol'
import {
  copyLiveFile,
  type Restorable,
  restorablePostgres,
  restorableSqlite,
  restoreFile,
} from '../support/backups.js'
import { type TempDatabase, tempDir, tempPostgres } from '../support/databases.js'
import {
  DEFAULT_FAULTS,
  type FaultCounts,
  NO_FAULTS,
  startFaultProxy,
} from '../support/fault-proxy.js'
import { Prng } from '../support/prng.js'
import { canonical, duplicates, eventsOf, registerWinners } from '../support/reference-model.js'
import { addUser, spawnServer } from '../support/server-process.js'
import { pullAll } from '../support/wire.js'
import {
  type ChaosClient,
  dumpDiff,
  fullDump,
  localEvents,
  modelDiff,
  openReplica,
  publicDump,
  randomWrite,
} from './replicas.js'

export interface ScheduleOptions {
  seed: number
  backend: 'sqlite' | 'postgres'
  clients: number
  /** Random steps (a write or a sync) per client. */
  steps: number
  /** How many times the server is SIGKILLed (and restarted) at random moments. */
  kills: number
  /**
   * How many of the kills restore the server's database from a backup taken mid-run before it
   * restarts (invariant 7): what was stored after the backup is gone.
   */
  restores: number
  /**
   * Devices roll back: a replica's database is copied mid-run, and later the replica is closed
   * and reopened on that older copy (a power cut under synchronous=NORMAL). Replica 0 always
   * does it once; the others at random.
   */
  rollbacks: boolean
}

export interface ScheduleReport {
  seed: number
  backend: string
  clients: number
  writes: number
  events: number
  bundles: number
  syncs: number
  failedSyncs: number
  restarts: number
  /** Server restarts on a database restored from a backup. */
  restores: number
  /** Replicas reopened on an older copy of their database. */
  rollbacks: number
  /** Syncs that found a restored server or a rolled-back device and recovered. */
  recoveries: number
  /** Replicas closed and reopened from their file mid-schedule. */
  reopens: number
  quiescenceRounds: number
  faults: FaultCounts
  /** Everything that is wrong; empty when the schedule passed. */
  problems: string[]
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * One Jepsen-style schedule: N replicas write on overlapping entities and sync through a
 * fault-injecting proxy while the server process is SIGKILLed and restarted; then everyone
 * syncs to quiescence through a clean path and the end state is checked against the
 * reference model. Everything random comes from `seed`.
 */
export const runSchedule = async (options: ScheduleOptions): Promise<ScheduleReport> => {
  const prng = new Prng(options.seed)
  // PGlite (no Postgres reachable) has no backup to restore: its schedules only kill.
  const restorable: Restorable | null =
    options.backend === 'postgres' ? await restorablePostgres() : restorableSqlite()
  const db: TempDatabase = restorable ?? (await tempPostgres('chaos'))
  const user = await addUser(db.url, 'chaos')
  const server = await spawnServer({ db: db.url, env: { LOG_LEVEL: 'warn' } })
  /** Bundles seen on the wire in push requests, before any fault: what the replicas sent. */
  const sent = new Map<string, Bundle>()
  const proxy = await startFaultProxy({
    target: server.url,
    seed: prng.fork().seed,
    weights: DEFAULT_FAULTS,
    maxDelayMs: 150,
    maxHoldMs: 200,
    onRequest: ({ path, body }) => {
      if (path !== ROUTES.sync) return
      try {
        for (const b of (JSON.parse(body.toString()) as { bundles: Bundle[] }).bundles)
          sent.set(b.id, b)
      } catch {
        // not a sync body: nothing to record
      }
    },
  })
  const report: ScheduleReport = {
    seed: options.seed,
    backend: db.kind,
    clients: options.clients,
    writes: 0,
    events: 0,
    bundles: 0,
    syncs: 0,
    failedSyncs: 0,
    restarts: 0,
    restores: 0,
    rollbacks: 0,
    recoveries: 0,
    reopens: 0,
    quiescenceRounds: 0,
    faults: proxy.counts,
    problems: [],
  }
  const clients: ChaosClient[] = []
  const files = tempDir('replicas')
  const fileOf = (i: number) => path.join(files.dir, `client-${i}.db`)
  const copyOf = (i: number) => path.join(files.dir, `client-${i}.copy.db`)
  const replica = (i: number) => openReplica({ url: proxy.url, token: user.token, file: fileOf(i) })
  try {
    for (let i = 0; i < options.clients; i++) clients.push(await replica(i))
    const pool = Array.from({ length: 2 * options.clients }, () => newId())
    let killing = options.kills > 0

    let down = false
    const restart = async (downMs: number, restore = false) => {
      down = true
      await server.kill()
      if (restore && restorable) {
        await restorable.restore()
        report.restores++
      }
      await sleep(downMs)
      await server.restart()
      down = false
      proxy.setTarget(server.url)
      report.restarts++
    }

    const worker = async (i: number, own: Prng) => {
      let client = clients[i] as ChaosClient
      const inflight: Array<Promise<unknown>> = []
      // Keep writing while the killer is at work (offline writes), then half as many steps
      // again against the last incarnation, so faults also hit a server that is up.
      let after = 0
      let copied = false
      for (let step = 0; step < options.steps || killing || after < options.steps / 2; step++) {
        if (!killing) after++
        if (options.rollbacks && (i === 0 ? step === 3 : own.chance(0.04))) {
          await copyLiveFile(fileOf(i), copyOf(i))
          copied = true
        } else if (copied && (i === 0 ? step === 12 : own.chance(0.02))) {
          // The device goes back to its copy: acknowledged writes since are gone from it.
          await client.close()
          restoreFile(copyOf(i), fileOf(i))
          client = await replica(i)
          clients[i] = client
          report.rollbacks++
          inflight.length = 0
          copied = false
        } else if (own.chance(0.03)) {
          // An app restart: close (waits for in-flight syncs) and reopen the same file.
          const id = client.clientId
          await client.close()
          client = await replica(i)
          clients[i] = client
          report.reopens++
          if (client.clientId !== id) report.problems.push(`client ${i} changed id on reopen`)
          inflight.length = 0
        }
        if (own.chance(0.35)) {
          report.syncs++
          const sync = client.sync().then(
            (r) => {
              if (r.recovered) report.recoveries++
            },
            () => {
              report.failedSyncs++
            },
          )
          // Sometimes wait for it, sometimes keep writing while it runs.
          if (own.chance(0.5)) await sync
          else inflight.push(sync)
        } else {
          await randomWrite(client, own, pool)
          report.writes++
        }
        // Offline (server restarting, which takes seconds): write and retry at a slower pace.
        await sleep(down ? own.int(200, 600) : own.int(10, 120))
      }
      await Promise.all(inflight)
    }

    const killer = async (own: Prng) => {
      try {
        for (let k = 0; k < options.kills; k++) {
          await sleep(own.int(200, 2_000))
          const restore = k < options.restores && restorable !== null
          if (restore) {
            // A backup taken while replicas write; what they store after it, the restore loses.
            await restorable.backup()
            await sleep(own.int(300, 1_500))
          }
          await restart(own.int(0, 300), restore)
        }
      } finally {
        killing = false
      }
    }

    const killed = killer(prng.fork())
    const writers = Promise.all(clients.map((_, i) => worker(i, prng.fork())))
    // Both must end before teardown, or a late restart would leave a server process behind.
    const [written, kills] = await Promise.allSettled([writers, killed])
    if (written.status === 'rejected') throw written.reason
    if (kills.status === 'rejected') throw kills.reason

    // Quiescence through a clean path: sync everyone until a whole round changes nothing.
    proxy.setWeights(NO_FAULTS)
    if (!server.alive()) await restart(0)
    const quiesce = async () => {
      for (let round = 1; round <= 12; round++) {
        report.quiescenceRounds += 1
        let moved = 0
        for (const client of clients) {
          const r = await client.sync()
          if (r.recovered) report.recoveries++
          moved += r.pulled + r.pushed
        }
        if (moved === 0 && clients.every((c) => c.status.pending === 0)) return
      }
    }
    await quiesce()
    // Every app restarts once, then syncs to quiescence again: its first sync asks where the
    // server has it (`resume`). A device that lost its own bundles to a rollback while the server
    // lost them to a restore has them back already: its pulls bring the copies its siblings
    // pushed again (a page leaves out only the bundles its request carried).
    for (const [i, client] of clients.entries()) {
      await client.close()
      clients[i] = await replica(i)
    }
    await quiesce()

    // verify() compares bundle id sets with the server: after quiescence nothing may differ.
    for (const [i, client] of clients.entries()) {
      const v = await client.verify()
      if (v.missingLocally + v.missingOnServer > 0)
        report.problems.push(`client ${i} verify found ${JSON.stringify(v)}`)
    }
    await check(report, clients, await pullAll(server.url, user.token), sent)
  } catch (err) {
    report.problems.push(`schedule threw: ${err instanceof Error ? err.stack : String(err)}`)
  } finally {
    for (const client of clients) await client.close().catch(() => undefined)
    await proxy.close()
    await server.stop()
    await db.drop()
    files.remove()
  }
  if (report.problems.length > 0) {
    // The server's own account of what went wrong (errors are logged at level 50).
    const errors = server
      .logs()
      .split('\n')
      .filter((line) => line.includes('"level":50'))
    for (const line of errors.slice(0, 3))
      report.problems.push(`server log: ${line.slice(0, 1500)}`)
  }
  return report
}

const check = async (
  report: ScheduleReport,
  clients: ChaosClient[],
  onServer: Bundle[],
  sent: Map<string, Bundle>,
) => {
  const problems = report.problems
  const serverEvents = eventsOf(onServer)
  report.bundles = onServer.length
  report.events = serverEvents.length
  for (const dup of duplicates(onServer)) problems.push(`server holds ${dup} more than once`)
  const byId = new Map<string, Event>(serverEvents.map((e) => [e.id, e]))

  // Nothing lost: every event any replica wrote is on the server, with the same content.
  for (const client of clients) {
    if (client.status.pending !== 0)
      problems.push(`client ${client.clientId} still has ${client.status.pending} pending`)
    for (const own of localEvents(client, true)) {
      const stored = byId.get(own.id)
      if (!stored)
        problems.push(`event ${own.id} written by ${client.clientId} is missing on the server`)
      else if (canonical(stored) !== canonical(own))
        problems.push(`event ${own.id} differs on the server`)
    }
  }
  // Nothing invented: every event on the server was sent by a replica.
  const sentEvents = new Set(eventsOf(sent.values()).map((e) => e.id))
  for (const e of serverEvents)
    if (!sentEvents.has(e.id)) problems.push(`server event ${e.id} was never sent`)

  // Convergence: identical dumps, equal to the reference model.
  const winners = registerWinners(serverEvents)
  const dumps = clients.map(fullDump)
  const views = await Promise.all(clients.map(publicDump))
  clients.forEach((client, i) => {
    if (localEvents(client).length !== serverEvents.length)
      problems.push(
        `client ${i} holds ${localEvents(client).length} events, the server ${serverEvents.length}`,
      )
    if (dumps[i] !== dumps[0])
      problems.push(`client ${i} state differs from client 0: ${dumpDiff(client, clients[0]!)}`)
    if (views[i] !== views[0]) problems.push(`client ${i} objects differ from client 0`)
    for (const diff of modelDiff(client, winners).slice(0, 5))
      problems.push(`client ${i} vs model: ${diff}`)
  })
}

/** One line for the log. */
export const describeReport = (r: ScheduleReport): string =>
  `seed ${r.seed} ${r.backend}: ${r.clients} clients, ${r.writes} writes, ${r.events} events in ${r.bundles} bundles, ` +
  `${r.syncs} syncs (${r.failedSyncs} failed), ${r.restarts} server kills (${r.restores} restored from a backup), ` +
  `${r.reopens} client reopens, ${r.rollbacks} device rollbacks, ${r.recoveries} recoveries, quiescent after ${r.quiescenceRounds} rounds; ` +
  `faults ${JSON.stringify(r.faults)}`
