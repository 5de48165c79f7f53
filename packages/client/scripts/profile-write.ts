/**
 * Profiles the client's hot paths against the physical limit measured in the same run (the
 * machine is shared, so only ratios mean anything):
 *
 *   node --import tsx --conditions=@tidings/source packages/client/scripts/profile-write.ts [docs] [runs] [only]
 *
 * - raw: better-sqlite3 inserts of the same event rows into a bare table, one cached
 *   statement, file + WAL (as bench/src/raw-sqlite.ts)
 * - write: `docs` documents × 4 attributes created through the public API, 2,500 a transaction
 * - apply: the same number of events pulled as bundles of 1,000 from an in-memory fake server
 * - fetch: all documents of the write run, and a filtered sorted page of 50
 *
 * `only` (write | apply | fetch) skips the others; add `node --cpu-prof` to see where time goes.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { type Bundle, type Event, formatHlc, HybridClock, newId, ROUTES } from '@tidings/protocol'
import Database from 'better-sqlite3'
import { defineSchema, openClient, t } from '../src/index.js'
import { openNodeDatabase } from '../src/node.js'

const docs = Number(process.argv[2] ?? 25_000)
const runs = Number(process.argv[3] ?? 3)
const only = process.argv[4]
const PER_TX = 2_500
const PER_BUNDLE = 1_000
const BUNDLES_PER_PAGE = 10
const ATTRIBUTES = ['author', 'title', 'url', 'note'] as const
const dir = mkdtempSync(path.join(tmpdir(), 'tidings-profile-'))
const schema = defineSchema({
  document: {
    author: t.string().index(),
    title: t.string().index(),
    url: t.string(),
    note: t.string(),
  },
})

const fields = (i: number) => ({
  author: `author-${i % 100}`,
  title: `Title ${(i * 7919) % 1_000_003} of a document`,
  url: `https://example.com/documents/${i}`,
  note: `note ${i}: some words about this document`,
})

const makeEvents = (count: number): Event[] => {
  const clock = new HybridClock({ node: newId() })
  const events: Event[] = []
  for (let i = 0; i < count; i++) {
    const entity = newId()
    const f = fields(i)
    for (const attribute of ATTRIBUTES)
      events.push({
        id: newId(),
        type: 'document',
        entity,
        attribute,
        value: f[attribute],
        hlc: clock.send(),
        client: clock.node,
      })
  }
  return events
}

const ms = async (fn: () => unknown): Promise<number> => {
  const start = performance.now()
  await fn()
  return performance.now() - start
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN

let file = 0
const next = (label: string) => path.join(dir, `${label}-${file++}.db`)

const raw = (events: readonly Event[]): Promise<number> => {
  const db = new Database(next('raw'))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('cache_size = -65536')
  db.exec(`create table events (id text primary key, type text not null, entity text not null,
    attribute text not null, value text not null, hlc text not null, client text not null)`)
  const insert = db.prepare('insert into events values (?, ?, ?, ?, ?, ?, ?)')
  const write = db.transaction((start: number) => {
    const end = Math.min(events.length, start + PER_TX * 4)
    for (let i = start; i < end; i++) {
      const e = events[i]!
      insert.run(e.id, e.type, e.entity, e.attribute, JSON.stringify(e.value), e.hlc, e.client)
    }
  })
  return ms(() => {
    for (let start = 0; start < events.length; start += PER_TX * 4) write(start)
  }).finally(() => db.close())
}

const write = async (keep: boolean) => {
  const file = next('write')
  const client = await openClient({ schema, database: openNodeDatabase(file) })
  const all = Array.from({ length: docs }, (_, i) => fields(i))
  const time = await ms(async () => {
    for (let start = 0; start < docs; start += PER_TX) {
      const slice = all.slice(start, start + PER_TX)
      await client.transaction(async (tx) => {
        for (const f of slice) await tx.create('document', f)
      })
    }
  })
  if (!keep) await client.close()
  return { time, client, file }
}

/** A fake server answering `POST /v1/sync` with pages prepared before timing (as the bench). */
const pagesFetch = (events: readonly Event[]): typeof globalThis.fetch => {
  const bundles: Bundle[] = []
  for (let i = 0; i < events.length; i += PER_BUNDLE) {
    const slice = events.slice(i, i + PER_BUNDLE)
    bundles.push({ id: newId(), client: slice[0]!.client, hlc: slice.at(-1)!.hlc, events: slice })
  }
  const pages: string[] = []
  for (let i = 0; i < bundles.length; i += BUNDLES_PER_PAGE) {
    const page = bundles.slice(i, i + BUNDLES_PER_PAGE)
    const more = i + BUNDLES_PER_PAGE < bundles.length
    pages.push(
      JSON.stringify({ cursor: String(pages.length + 1), accepted: [], bundles: page, more }).slice(
        1,
      ),
    )
  }
  const node = newId()
  return async (input, init) => {
    if (!String(input).endsWith(ROUTES.sync)) return new Response('{}', { status: 404 })
    const { cursor } = JSON.parse(String(init?.body)) as { cursor: string | null }
    const page = pages[cursor ? Number(cursor) : 0]
    const hlc = formatHlc({ ms: Date.now(), counter: 0, node })
    const body = page
      ? `{"hlc":"${hlc}",${page}`
      : JSON.stringify({ hlc, cursor, accepted: [], bundles: [], more: false })
    return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } })
  }
}

const apply = async (fetch: typeof globalThis.fetch) => {
  const client = await openClient({
    schema,
    database: openNodeDatabase(next('apply')),
    server: { url: 'http://fake', token: 'profile', fetch },
  })
  try {
    return await ms(() => client.sync())
  } finally {
    await client.close()
  }
}

const main = async () => {
  const events = makeEvents(docs)
  const fetch = pagesFetch(events)
  const rawRates: number[] = []
  const writeRates: number[] = []
  const applyRates: number[] = []
  const fetchAll: number[] = []
  const fetchRaw: number[] = []
  const fetchPage: number[] = []
  const rate = (t: number) => Math.round((events.length * 1000) / t)
  // Each measurement is paired with a raw baseline taken just before it: the machine's load
  // changes by the minute, so only per-pair ratios compare.
  const writeRatios: number[] = []
  const applyRatios: number[] = []
  for (let run = 0; run < runs; run++) {
    if (!only || only === 'write' || only === 'fetch') {
      const base = rate(await raw(events))
      rawRates.push(base)
      const { time, client, file } = await write(only === 'fetch' || (!only && run === 0))
      writeRates.push(rate(time))
      writeRatios.push(rate(time) / base)
      if (only === 'fetch' || (!only && run === 0)) {
        const rawDb = new Database(file, { readonly: true })
        const select = rawDb.prepare('select * from t_document')
        for (let i = 0; i < 7; i++) {
          fetchRaw.push(await ms(() => select.all()))
          fetchAll.push(await ms(() => client.fetch('document', {})))
          fetchPage.push(
            await ms(() =>
              client.fetch('document', {
                where: { author: 'author-7' },
                orderBy: { title: 'asc' },
                limit: 50,
              }),
            ),
          )
        }
        rawDb.close()
        await client.close()
      }
    }
    if (!only || only === 'apply') {
      const base = rate(await raw(events))
      rawRates.push(base)
      const time = await apply(fetch)
      applyRates.push(rate(time))
      applyRatios.push(rate(time) / base)
    }
  }
  const base = median(rawRates)
  const show = (name: string, xs: number[], ratios: number[]) =>
    xs.length > 0 &&
    console.log(
      `${name.padEnd(6)} ${String(median(xs)).padStart(7)} events/s  median ratio to its paired raw run ${median(ratios).toFixed(2)}  (ratios ${ratios.map((r) => r.toFixed(2)).join(' ')})`,
    )
  console.log(`${events.length} events, ${runs} runs, raw samples ${rawRates.join(' ')}`)
  console.log(`raw    ${String(base).padStart(7)} events/s`)
  show('write', writeRates, writeRatios)
  show('apply', applyRates, applyRatios)
  if (fetchAll.length > 0)
    console.log(
      `fetch all of ${docs}: ${median(fetchAll).toFixed(1)} ms (raw select * of the same table ${median(fetchRaw).toFixed(1)} ms), page of 50: ${median(fetchPage).toFixed(2)} ms`,
    )
  rmSync(dir, { recursive: true, force: true })
}

await main()
