import { statSync } from 'node:fs'
import path from 'node:path'
import { type Event, HybridClock, newId } from '@tidings/protocol'
import Database from 'better-sqlite3'
import { type ServerHandle, withServer } from './child.js'
import { type Bench, type BenchContext, makeRow, settle } from './context.js'
import { atMost } from './goals.js'
import { postSync } from './seed.js'
import { sample, time } from './stats.js'
import { type Cell, cell, fmt, type Missing, sampled } from './table.js'
import { loadTidings, syncAll } from './tidings.js'
import { ATTRIBUTES, docFields, TYPE, toBundles } from './workload.js'

/** Each document's four attributes are written this many times: 1M events, 250k winners. */
const WRITES = 4
const PER_BUNDLE = 1_000
const BUNDLES_PER_REQUEST = 10

/**
 * Seeds a history where every register was written `WRITES` times: documents created, then
 * edited round after round (all of it older than the horizon compaction will use).
 */
const seedHistory = async (server: ServerHandle, token: string, events: number): Promise<void> => {
  const clock = new HybridClock({ node: newId() })
  const docs = events / (WRITES * ATTRIBUTES.length)
  const entities = Array.from({ length: docs }, () => newId())
  const perRequest = PER_BUNDLE * BUNDLES_PER_REQUEST
  let pending: Event[] = []
  const flush = async () => {
    await postSync(server.url, token, {
      client: clock.node,
      hlc: clock.send(),
      cursor: null,
      bundles: toBundles(pending, PER_BUNDLE),
    })
    pending = []
  }
  for (let round = 0; round < WRITES; round++)
    for (const [i, entity] of entities.entries()) {
      const fields = docFields(i + round * docs)
      for (const attribute of ATTRIBUTES) {
        pending.push({
          id: newId(),
          type: TYPE,
          entity,
          attribute,
          value: fields[attribute],
          hlc: clock.send(),
          client: clock.node,
        })
        if (pending.length === perRequest) await flush()
      }
    }
  if (pending.length > 0) await flush()
}

/** Bytes of a SQLite database's pages in use (what a VACUUM would leave), WAL checkpointed. */
const sqliteBytes = (file: string): { used: number; file: number } => {
  const db = new Database(file)
  try {
    db.pragma('wal_checkpoint(TRUNCATE)')
    const pages = Number(db.pragma('page_count', { simple: true }))
    const free = Number(db.pragma('freelist_count', { simple: true }))
    const size = Number(db.pragma('page_size', { simple: true }))
    return { used: (pages - free) * size, file: statSync(file).size }
  } finally {
    db.close()
  }
}

const MB = (bytes: number) => bytes / 1_000_000

interface Measured {
  seconds: Cell
  clientBytes: number
}

/** New file clients pull the whole history, each run a new client; seconds and client size. */
const initialSyncs = async (
  ctx: BenchContext,
  server: ServerHandle,
  token: string,
  label: string,
  docs: number,
): Promise<Measured> => {
  const tidings = await loadTidings()
  let clientBytes = 0
  const seconds = await sample(ctx, async (run) => {
    const file = path.join(ctx.tmp, `compaction-${label}-${run}.db`)
    const client = await tidings.open(file, { url: server.url, token })
    try {
      const ms = await time(() => syncAll(client), [server])
      if (run === 0) {
        const found = (await client.fetch('document', {})).length
        if (found !== docs) throw new Error(`pulled ${found} documents, expected ${docs}`)
      }
      return ms / 1000
    } finally {
      await client.close()
      clientBytes = sqliteBytes(file).used
    }
  })
  return { seconds: sampled(seconds, 's'), clientBytes }
}

/**
 * Compaction (issue 16): a space whose history of N events holds N/4 winners (every attribute
 * written four times). A new device's initial sync before and after `compact`, the server's
 * database size before and after, the client's, and the time compaction takes. SQLite server.
 */
export const compaction: Bench = {
  name: 'compaction',
  async run(ctx) {
    const events = ctx.size(1_000_000, 16_000)
    const docs = events / (WRITES * ATTRIBUTES.length)
    const file = path.join(ctx.tmp, `compaction-${events}.db`)
    const url = `sqlite:${file}`
    const what = `${fmt(events)}-event history, ${fmt(events / WRITES)} winners`
    await withServer({ kind: 'tidings', db: url }, async (server) => {
      const token = server.tokens[0] as string
      ctx.log(`compaction: seeding ${what}`)
      await seedHistory(server, token, events)
      const full = await settleMeasured(() => initialSyncs(ctx, server, token, 'full', docs))
      const before = sqliteBytes(file)
      ctx.log('compaction: compacting')
      const { openStore } = await import('@tidings/server')
      const store = await openStore(url)
      let compactSeconds: Cell
      let dropped = 0
      try {
        const started = performance.now()
        const result = await store.compact({ olderThan: 0, now: Date.now() + 1_000 })
        compactSeconds = cell((performance.now() - started) / 1000, 's')
        dropped = result.dropped
      } finally {
        await store.close()
      }
      const after = sqliteBytes(file)
      const compacted = await settleMeasured(() =>
        initialSyncs(ctx, server, token, 'compacted', docs),
      )
      const goal = (4 * events) / 1_000_000
      ctx.report(
        makeRow({
          bench: 'compaction',
          measure: `initial sync of a ${what}, compacted vs not, SQLite server, new file client (s)`,
          ours: compacted.seconds,
          baseline: full.seconds,
          baselineName: 'the same history, not compacted',
          // The goal is for a million events: a small history's sync is mostly fixed costs.
          ...(events === 1_000_000 && { goal: atMost(goal, '≤ 4 s') }),
        }),
      )
      ctx.report(
        makeRow({
          bench: 'compaction',
          measure: `server database (SQLite pages in use) after vs before compaction of a ${what} (MB)`,
          ours: cell(MB(after.used), 'MB'),
          baseline: cell(MB(before.used), 'MB'),
          baselineName: 'before compaction',
          note: `file ${fmt(MB(after.file))} MB until VACUUM; ${fmt(dropped)} events dropped`,
        }),
      )
      ctx.report(
        makeRow({
          bench: 'compaction',
          measure: `client database after its initial sync, compacted vs full history (MB)`,
          ours: cell(MB(compacted.clientBytes), 'MB'),
          baseline: cell(MB(full.clientBytes), 'MB'),
          baselineName: 'initial sync of the full history',
        }),
      )
      ctx.report(
        makeRow({
          bench: 'compaction',
          measure: `tidings compact of a ${what} (s, one run)`,
          ours: compactSeconds,
          baseline: null,
        }),
      )
    })
  },
}

/** A measurement that failed becomes a failed row's cell, as `settle` does for one cell. */
const settleMeasured = async (
  fn: () => Promise<Measured>,
): Promise<{ seconds: Cell | Missing; clientBytes: number }> => {
  let measured: Measured | undefined
  const seconds = await settle(async () => {
    measured = await fn()
    return measured.seconds
  })
  return measured ?? { seconds, clientBytes: Number.NaN }
}
