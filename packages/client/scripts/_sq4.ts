import { HybridClock, newId } from '@tidings/protocol'
import Database from 'better-sqlite3'

const N = 100_000
const clock = new HybridClock({ node: newId() })
const ents = Array.from({ length: N / 4 }, () => newId())
const ev = Array.from({ length: N }, (_, i) => ({
  id: newId(),
  type: 'document',
  entity: ents[Math.floor(i / 4)]!,
  attribute: ['author', 'title', 'url', 'note'][i % 4]!,
  value: JSON.stringify('value of a document attr ' + ((i * 7919) % 100003)),
  hlc: clock.send(),
  client: clock.node,
}))
let f = 0
const mk = () => {
  const db = new Database(`/tmp/perfeng/sq/${process.pid}-${f++}.db`)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('cache_size = -65536')
  return db
}
const raw = () => {
  const db = mk()
  db.exec(
    `create table events (id text primary key, type text not null, entity text not null, attribute text not null, value text not null, hlc text not null, client text not null)`,
  )
  const s = db.prepare('insert into events values (?,?,?,?,?,?,?)')
  const t = performance.now()
  for (let i = 0; i < N; i += 10000)
    db.transaction(() => {
      for (let j = i; j < i + 10000; j++) {
        const e = ev[j]!
        s.run(e.id, e.type, e.entity, e.attribute, e.value, e.hlc, e.client)
      }
    })()
  const ms = performance.now() - t
  db.close()
  return ms
}
const UP = `ON CONFLICT (type, entity, attribute) DO UPDATE SET value = excluded.value, hlc = excluded.hlc, event = excluded.event WHERE excluded.hlc > attributes.hlc OR (excluded.hlc = attributes.hlc AND excluded.event > attributes.event)`
type O = {
  evWR: boolean
  evIdx: boolean
  tWR: boolean
  attr: boolean
  typed: boolean
  ckpt?: number
}
const variant = (o: O) => {
  const db = mk()
  if (o.ckpt) db.pragma(`wal_autocheckpoint = ${o.ckpt}`)
  db.exec(
    `create table events (id text primary key, bundle text not null, type text not null, entity text not null, attribute text not null, value text not null, hlc text not null, client text not null)${o.evWR ? ' without rowid' : ''}`,
  )
  if (o.evIdx) db.exec(`create index events_bundle on events (bundle, hlc)`)
  db.exec(
    `create table attributes (type text not null, entity text not null, attribute text not null, value text not null, hlc text not null, event text not null, primary key (type, entity, attribute)) without rowid`,
  )
  db.exec(
    `create table t_document (id text primary key, deleted integer not null default 0, author text, title text, url text, note text)${o.tWR ? ' without rowid' : ''}`,
  )
  db.exec(`create index t_document_author on t_document (author)`)
  db.exec(`create index t_document_title on t_document (title)`)
  const a = db.prepare('insert into events values (?,?,?,?,?,?,?,?) on conflict (id) do nothing')
  const b = db.prepare(`insert into attributes values (?,?,?,?,?,?) ${UP}`)
  const c = db.prepare(
    `insert into t_document (id, author, title, url, note) values (?,?,?,?,?) on conflict (id) do update set author=excluded.author, title=excluded.title, url=excluded.url, note=excluded.note`,
  )
  const t = performance.now()
  for (let i = 0; i < N; i += 10000)
    db.transaction(() => {
      const bundle = newId()
      for (let j = i; j < i + 10000; j += 4) {
        for (let k = j; k < j + 4; k++) {
          const e = ev[k]!
          a.run(e.id, bundle, e.type, e.entity, e.attribute, e.value, e.hlc, e.client)
          if (o.attr) b.run(e.type, e.entity, e.attribute, e.value, e.hlc, e.id)
        }
        if (o.typed)
          c.run(ev[j]!.entity, ev[j]!.value, ev[j + 1]!.value, ev[j + 2]!.value, ev[j + 3]!.value)
      }
    })()
  const ms = performance.now() - t
  db.close()
  return ms
}
const base: O = { evWR: false, evIdx: true, tWR: false, attr: true, typed: true }
const vs: Record<string, O> = {
  cur: base,
  evWR: { ...base, evWR: true },
  tWR: { ...base, tWR: true },
  both: { ...base, evWR: true, tWR: true },
  noIdx: { ...base, evIdx: false },
  ckpt: { ...base, ckpt: 10000 },
}
const ratios: Record<string, number[]> = {}
for (let k = 0; k < 9; k++) {
  for (const [name, o] of Object.entries(vs)) {
    const r1 = raw()
    const v = variant(o)
    ;(ratios[name] ??= []).push(r1 / v)
  }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
console.log(
  Object.entries(ratios)
    .map(([k, v]) => `${k} ${med(v).toFixed(2)} [${v.map((x) => x.toFixed(2)).join(' ')}]`)
    .join('\n'),
)
