import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import * as after from '../src/index.js'
import * as afterNode from '../src/node.js'
// @ts-ignore
import * as before from '/tmp/perfeng/before/packages/client/src/index.ts'
// @ts-ignore
import * as beforeNode from '/tmp/perfeng/before/packages/client/src/node.ts'

const docs = Number(process.argv[2] ?? 10_000)
const rounds = Number(process.argv[3] ?? 7)
const dir = mkdtempSync(path.join(tmpdir(), 'tidings-ab-'))
let n = 0
const fields = (i: number) => ({ author: `author-${i % 100}`, title: `Title ${(i * 7919) % 1_000_003} of a document`, url: `https://example.com/documents/${i}`, note: `note ${i}: some words about this document` })
const all = Array.from({ length: docs }, (_, i) => fields(i))
const raw = () => {
  const db = new Database(path.join(dir, `raw-${n++}.db`)); db.pragma('journal_mode = WAL'); db.pragma('synchronous = NORMAL'); db.pragma('cache_size = -65536')
  db.exec('create table events (id text primary key, type text not null, entity text not null, attribute text not null, value text not null, hlc text not null, client text not null)')
  const s = db.prepare('insert into events values (?, ?, ?, ?, ?, ?, ?)')
  const ids = Array.from({ length: docs * 4 }, () => after.t && crypto.randomUUID())
  const t0 = performance.now()
  for (let i = 0; i < ids.length; i += 10_000) db.transaction(() => { for (let j = i; j < Math.min(ids.length, i + 10_000); j++) s.run(ids[j], 'document', ids[j], 'title', JSON.stringify(all[j >> 2]!.title), '2026-11-26T08:00:00.000Z-0000-x', 'x') })()
  const ms = performance.now() - t0; db.close(); return ms
}
// biome-ignore lint/suspicious/noExplicitAny: two builds of one API
const write = async (lib: any, node: any, fetchToo: boolean) => {
  const schema = lib.defineSchema({ document: { author: lib.t.string().index(), title: lib.t.string().index(), url: lib.t.string(), note: lib.t.string() } })
  const client = await lib.openClient({ schema, database: node.openNodeDatabase(path.join(dir, `c-${n++}.db`)) })
  const t0 = performance.now()
  for (let s = 0; s < docs; s += 2500) await client.transaction(async (tx: { create: (t: string, f: unknown) => Promise<unknown> }) => { for (const f of all.slice(s, s + 2500)) await tx.create('document', f) })
  const ms = performance.now() - t0
  let fetchMs = 0
  if (fetchToo) { const f0 = performance.now(); await client.fetch('document', {}); fetchMs = performance.now() - f0 }
  await client.close()
  return { ms, fetchMs }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const rb: number[] = [], ra: number[] = [], fb: number[] = [], fa: number[] = []
for (let r = 0; r < rounds; r++) {
  const r1 = raw(); const b = await write(before, beforeNode, true); const r2 = raw(); const a = await write(after, afterNode, true); const r3 = raw()
  rb.push(((r1 + r2) / 2) / b.ms); ra.push(((r2 + r3) / 2) / a.ms); fb.push(b.fetchMs); fa.push(a.fetchMs)
  console.log(`round ${r}: write ratio before ${rb.at(-1)!.toFixed(2)} after ${ra.at(-1)!.toFixed(2)}; fetch all ${docs} before ${b.fetchMs.toFixed(0)} ms after ${a.fetchMs.toFixed(0)} ms`)
}
console.log(`MEDIAN write ratio to raw: before ${med(rb).toFixed(2)} after ${med(ra).toFixed(2)}; fetch all: before ${med(fb).toFixed(0)} ms after ${med(fa).toFixed(0)} ms`)
rmSync(dir, { recursive: true, force: true })
