import type { Event } from '@tidings/protocol'
import Database from 'better-sqlite3'
import { ATTRIBUTES, type DocFields } from './workload.js'

/** The pragmas the client's `openNodeDatabase` sets for speed: a baseline gets them too. */
const likeTheClient = (db: Database.Database): void => {
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('cache_size = -65536')
  db.pragma('wal_autocheckpoint = 10000')
}

/**
 * The physical limit of the local write path: the same event rows inserted into a bare table
 * with one cached prepared statement in one transaction (file database, WAL, 64 MiB cache).
 */
export const openRaw = (path: string): Database.Database => {
  const db = new Database(path)
  likeTheClient(db)
  db.exec(`create table events (id text primary key, type text not null, entity text not null,
    attribute text not null, value text not null, hlc text not null, client text not null)`)
  db.exec(`create table attributes (entity text not null, attribute text not null,
    value text not null, hlc text not null, primary key (entity, attribute))`)
  return db
}

/**
 * Inserts `events` in transactions of `perTransaction` events; with `lww`, also the
 * last-writer-wins upsert per event.
 */
export const rawInsert = (
  db: Database.Database,
  events: readonly Event[],
  lww: boolean,
  perTransaction = events.length,
): void => {
  const insert = db.prepare('insert into events values (?, ?, ?, ?, ?, ?, ?)')
  const upsert = db.prepare(`insert into attributes values (?, ?, ?, ?)
    on conflict (entity, attribute) do update set value = excluded.value, hlc = excluded.hlc
    where excluded.hlc > attributes.hlc`)
  const write = db.transaction((start: number) => {
    const end = Math.min(events.length, start + perTransaction)
    for (let i = start; i < end; i++) {
      const e = events[i] as Event
      const value = JSON.stringify(e.value)
      insert.run(e.id, e.type, e.entity, e.attribute, value, e.hlc, e.client)
      if (lww) upsert.run(e.entity, e.attribute, value, e.hlc)
    }
  })
  for (let start = 0; start < events.length; start += perTransaction) write(start)
}

const COLUMNS = ['id', ...ATTRIBUTES].map((c) => `"${c}"`).join(', ')

/**
 * The statements the client's fetch compiles (api/query.ts) for "all documents" and for "a page
 * by author, ordered by title", on the bare table: same columns, same filter on `deleted`, same
 * order (ending with `id`, which keeps pages stable), `deleted` bound as a parameter as the
 * client binds it. Read with `.raw()`, as the client does.
 */
export const SELECT_ALL_DOCS = `select ${COLUMNS} from "documents" where "deleted" = ? order by "id" asc`
export const SELECT_DOCS_PAGE = `select ${COLUMNS} from "documents" where "deleted" = ? and "author" = ? order by "title" asc, "id" asc limit ?`

/**
 * A bare typed table of documents with the client's physical design (WITHOUT ROWID keyed by
 * id, a `deleted` column, one (author, title) index): the fastest honest form of its reads.
 */
export const openRawDocs = (
  path: string,
  docs: readonly (DocFields & { id: string })[],
): Database.Database => {
  const db = new Database(path)
  likeTheClient(db)
  db.exec(
    `create table documents (id text primary key, deleted integer not null default 0, ${ATTRIBUTES.map((a) => `${a} text`).join(', ')}) without rowid`,
  )
  db.exec('create index documents_author_title on documents (author, title)')
  const insert = db.prepare(
    `insert into documents (id, ${ATTRIBUTES.join(', ')}) values (?, ${ATTRIBUTES.map(() => '?').join(', ')})`,
  )
  db.transaction(() => {
    for (const d of docs) insert.run(d.id, ...ATTRIBUTES.map((a) => d[a]))
  })()
  return db
}
