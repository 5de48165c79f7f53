import type { Bundle } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import type { SqliteDatabase } from '../driver/sqlite.js'
import { openNodeDatabase } from '../node.js'
import { internals, librarySchema, memoryClient } from '../test/fixtures.js'
import { Store } from './store.js'

const CLIENT = '01937b5e-0000-7000-8000-00000000c11e'
const hlc = (ms: number) => `2026-11-26T08:00:00.${String(ms).padStart(3, '0')}Z-0000-${CLIENT}`
const id = (n: number) => `01937b5e-0000-7000-8000-${String(n).padStart(12, '0')}`

/** A database as migration 0001 left it: the log indexed by (bundle, hlc), no `seq`. */
const version1 = (): SqliteDatabase => {
  const db = openNodeDatabase(':memory:')
  const exec = (text: string, params: unknown[] = []) => db.prepare(text).run(params)
  exec(`create table bundles (id text primary key, client text not null, hlc text not null,
    local integer not null, acknowledged integer not null)`)
  exec(`create table events (id text primary key, bundle text not null, type text not null,
    entity text not null, attribute text not null, value text not null, hlc text not null,
    client text not null)`)
  exec('create index events_bundle on events (bundle, hlc)')
  exec(`create table attributes (type text not null, entity text not null, attribute text not null,
    value text not null, hlc text not null, event text not null,
    constraint attributes_pk primary key (type, entity, attribute)) without rowid`)
  exec(`create table outbox (seq integer primary key autoincrement, bundle text not null unique)`)
  exec('create table sync_state (key text primary key, value text not null)')
  exec(`create table tidings_migration (name varchar(255) not null primary key,
    timestamp varchar(255) not null)`)
  exec(`insert into tidings_migration values ('0001_log', '2026-11-26T08:00:00.000Z')`)
  return db
}

describe('migration 0003 (events found by their bundle range)', () => {
  it('keeps every bundle of an older database loadable, in order, and keeps working after', async () => {
    const db = version1()
    const exec = (text: string, params: unknown[]) => db.prepare(text).run(params)
    // Two bundles whose events were written interleaved, out of HLC order, and a third whose
    // only event was already in the log under the first (so it owns no event row).
    for (const [bundle, ms] of [
      [id(1), 3],
      [id(2), 4],
      [id(3), 5],
    ] as const)
      exec('insert into bundles values (?, ?, ?, 0, 1)', [bundle, CLIENT, hlc(ms)])
    for (const [event, bundle, ms] of [
      [10, id(1), 3],
      [20, id(2), 4],
      [11, id(1), 1],
      [21, id(2), 2],
    ] as const)
      exec('insert into events values (?, ?, ?, ?, ?, ?, ?, ?)', [
        id(event),
        bundle,
        'document',
        id(100 + event),
        'title',
        JSON.stringify(`t${event}`),
        hlc(ms),
        CLIENT,
      ])

    const store = await Store.open({ database: db, schema: librarySchema })
    const titles = (bundle: string) => store.bundle(bundle)?.events.map((e) => e.value)
    expect(titles(id(1))).toEqual(['t11', 't10'])
    expect(titles(id(2))).toEqual(['t21', 't20'])
    expect(titles(id(3))).toEqual([])
    const indexes = store.sql.all<{ name: string }>(
      "select name from sqlite_master where type = 'index' and tbl_name = 'events'",
    )
    expect(indexes.map((i) => i.name)).not.toContain('events_bundle')

    // New bundles go after the copied ones; the old ones still load the same.
    const { bundle } = store.commitLocal(
      [{ type: 'document', entity: 'e', attribute: 'title', value: 'new' }],
      10,
    )
    expect(titles(bundle.id)).toEqual(['new'])
    expect(titles(id(1))).toEqual(['t11', 't10'])
    store.close()
  })

  it('ends a bundle’s range at its last new event, so the next bundle never falls inside it', async () => {
    const [a, b] = await Promise.all([memoryClient(), memoryClient()])
    const storeA = internals(a!).store
    const storeB = internals(b!).store
    const write = (title: string) =>
      storeA.commitLocal(
        [{ type: 'document', entity: title, attribute: 'title', value: title }],
        10,
      ).bundle
    const known = write('known')
    storeB.applyRemote([known])
    // A bundle whose last event is already in the log, then one more in a later transaction.
    const fresh = write('fresh')
    const tail: Bundle = {
      ...fresh,
      id: '01937b5e-0000-7000-8000-000000000007',
      events: [...fresh.events, ...known.events],
      hlc: fresh.hlc, // written after `known`: the greatest HLC of the two
    }
    storeB.applyRemote([tail])
    const later = write('later')
    storeB.applyRemote([later])
    const titles = (id: string) => storeB.bundle(id)?.events.map((e) => e.value)
    expect(titles(tail.id)).toEqual(['fresh', 'known']) // whole: see known-events.test.ts
    expect(titles(later.id)).toEqual(['later'])
    await Promise.all([a!.close(), b!.close()])
  })
})

describe('migrations 0004 (registers keep their winner’s seq) and 0005 (client read from the HLC)', () => {
  it('keep every register’s value, HLC and event, every event’s client, and LWW after', async () => {
    const db = version1()
    const exec = (text: string, params: unknown[]) => db.prepare(text).run(params)
    exec('insert into bundles values (?, ?, ?, 0, 1)', [id(1), CLIENT, hlc(2)])
    // Two events of one register (the later one won) and one of another entity.
    const events = [
      [10, 'old', 1, id(200)],
      [11, 'new', 2, id(200)],
      [12, 'other', 2, id(201)],
    ] as const
    for (const [event, title, ms, entity] of events)
      exec('insert into events values (?, ?, ?, ?, ?, ?, ?, ?)', [
        id(event),
        id(1),
        'document',
        entity,
        'title',
        JSON.stringify(title),
        hlc(ms),
        CLIENT,
      ])
    for (const [event, title, ms, entity] of events.slice(1))
      exec('insert into attributes values (?, ?, ?, ?, ?, ?)', [
        'document',
        entity,
        'title',
        JSON.stringify(title),
        hlc(ms),
        id(event),
      ])

    const store = await Store.open({ database: db, schema: librarySchema })
    const registers = store.dump().attributes
    expect(registers).toEqual([
      {
        type: 'document',
        entity: id(200),
        attribute: 'title',
        value: '"new"',
        hlc: hlc(2),
        event: id(11),
      },
      {
        type: 'document',
        entity: id(201),
        attribute: 'title',
        value: '"other"',
        hlc: hlc(2),
        event: id(12),
      },
    ])
    expect(store.bundle(id(1))?.events.map((e) => e.client)).toEqual([CLIENT, CLIENT, CLIENT])
    expect(store.row('document', id(200))?.title).toBe('new')

    // An event older than the register's winner loses; a newer one wins.
    const late = (n: number, title: string, ms: number): Bundle => ({
      id: id(n),
      client: CLIENT,
      hlc: hlc(ms),
      events: [
        {
          id: id(n + 1),
          type: 'document',
          entity: id(200),
          attribute: 'title',
          value: title,
          hlc: hlc(ms),
          client: CLIENT,
        },
      ],
    })
    store.applyRemote([late(30, 'older', 0)])
    expect(store.row('document', id(200))?.title).toBe('new')
    store.applyRemote([late(40, 'newest', 5)])
    expect(store.row('document', id(200))?.title).toBe('newest')
    const incremental = store.dump()
    store.rebuild()
    expect(store.dump()).toEqual(incremental)
    store.close()
  })
})
