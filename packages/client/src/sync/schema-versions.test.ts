import { isTidingsError } from '@tidings/protocol'
import { startServer } from '@tidings/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LocalClient, openClient } from '../api/client.js'
import type { Client } from '../api/types.js'
import { openNodeDatabase } from '../node.js'
import type { Schema } from '../schema/define.js'
import type { Shapes } from '../schema/types.js'
import { type RunningServer, startBackend } from '../test/server.js'
import { v1Schema, v2Schema } from '../test/versions.js'

/**
 * The side-by-side schema test (the example): a device still on app version 1 (`pages`
 * as text) and one on version 2 (`pages` a number, a new `isbn`, a new `review` type, the
 * note's `text` renamed `body`) share one user's data through a real server. Each sees what it
 * can read, nothing is shown as a value its types do not promise, what it cannot read stays in
 * the log (listed by `unreadable()`), and upgrading the version 1 device brings everything in.
 */
const path = () =>
  `/tmp/tidings-versions-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.db`

const device = <S extends Shapes>(
  schema: Schema<S>,
  server: RunningServer,
  token: string,
  file = ':memory:',
): Promise<Client<S>> =>
  openClient({
    schema,
    database: openNodeDatabase(file),
    server: { url: server.url, token, backoffMs: 5 },
  })

const dumpOf = (client: Client<Shapes>) => {
  const store = (client as unknown as LocalClient).store
  return { ...store.dump(), unreadable: store.unreadable() }
}

describe('app versions side by side (v1 and v2 clients through a real server)', () => {
  let server: RunningServer
  beforeAll(async () => {
    server = (await startBackend('sqlite')).server
  })
  afterAll(() => server?.close())

  it('version 2 reads version 1’s books, converting pages; what no conversion reads is reported, not shown', async () => {
    const user = await server.addUser(`v1-to-v2-${Date.now()}`)
    const v1 = await device(v1Schema, server, user.token)
    const v2 = await device(v2Schema, server, user.token)
    const dune = await v1.create('book', { title: 'Dune', pages: '412' })
    const vague = await v1.create('book', { title: 'Notes', pages: 'about 300' })
    await v1.sync()
    await v2.sync()

    expect(await v2.get('book', dune.id)).toEqual({
      id: dune.id,
      space: null,
      title: 'Dune',
      pages: 412,
    })
    // Not `pages: null` where the type says number: absent (typed `pages?: number`), and listed.
    expect(await v2.get('book', vague.id)).toEqual({ id: vague.id, space: null, title: 'Notes' })
    expect(await v2.unreadable()).toEqual([
      { type: 'book', id: vague.id, attribute: 'pages', value: 'about 300' },
    ])
    expect(v2.status.unreadable).toBe(1)
    // Fetches filter and sort on the converted column.
    expect((await v2.fetch('book', { where: { pages: { gt: 400 } } })).map((b) => b.title)).toEqual(
      ['Dune'],
    )

    // Version 1 fixes the count as text; version 2 now reads it.
    await v1.update('book', vague.id, { pages: '296' })
    await v1.sync()
    await v2.sync()
    expect((await v2.get('book', vague.id))?.pages).toBe(296)
    expect(await v2.unreadable()).toEqual([])
    expect(v2.status.unreadable).toBeUndefined()
    await v1.close()
    await v2.close()
  })

  it('version 1 reads what it can of version 2’s books; new fields and types wait in its log', async () => {
    const user = await server.addUser(`v2-to-v1-${Date.now()}`)
    const v1 = await device(v1Schema, server, user.token)
    const v2 = await device(v2Schema, server, user.token)
    const emma = await v2.create('book', { title: 'Emma', pages: 474, isbn: '978-0141439587' })
    await v2.create('review', { book: emma.id, stars: 5 })
    await v2.sync()
    await v1.sync()

    // Version 1 has no `isbn` and no `review`, and cannot read a numeric page count: the book
    // shows its title only (`pages?: string` in a versioned schema), never `pages: null`.
    expect(await v1.get('book', emma.id)).toEqual({ id: emma.id, space: null, title: 'Emma' })
    expect(await v1.unreadable()).toEqual([
      { type: 'book', id: emma.id, attribute: 'pages', value: 474 },
    ])
    expect(v1.status.unreadable).toBe(1)
    // Its own edits of what it knows still reach version 2.
    await v1.update('book', emma.id, { title: 'Emma (Penguin)' })
    await v1.sync()
    await v2.sync()
    expect(await v2.get('book', emma.id)).toEqual({
      id: emma.id,
      space: null,
      title: 'Emma (Penguin)',
      pages: 474,
      isbn: '978-0141439587',
    })
    await v1.close()
    await v2.close()
  })

  it('a rename works both ways: version 2 writes under both names, reads the latest of either', async () => {
    const user = await server.addUser(`rename-${Date.now()}`)
    const v1 = await device(v1Schema, server, user.token)
    const v2 = await device(v2Schema, server, user.token)
    const note = await v1.create('note', { text: 'from version 1' })
    await v1.sync()
    await v2.sync()
    expect(await v2.get('note', note.id)).toEqual({
      id: note.id,
      space: null,
      body: 'from version 1',
    })

    await v2.update('note', note.id, { body: 'edited on version 2' })
    await v2.sync()
    await v1.sync()
    expect((await v1.get('note', note.id))?.text).toBe('edited on version 2')

    await v1.update('note', note.id, { text: 'and back on version 1' })
    await v1.sync()
    await v2.sync()
    expect((await v2.get('note', note.id))?.body).toBe('and back on version 1')
    await v1.close()
    await v2.close()
  })

  it('upgrading a version 1 device brings in what it kept unread, and rebuild() gives the same state', async () => {
    const user = await server.addUser(`upgrade-${Date.now()}`)
    const file = path()
    const v1 = await device(v1Schema, server, user.token, file)
    const v2 = await device(v2Schema, server, user.token)
    const dune = await v1.create('book', { title: 'Dune', pages: '412' })
    await v1.create('book', { title: 'Notes', pages: 'about 300' })
    await v1.create('note', { text: 'hello' })
    const emma = await v2.create('book', { title: 'Emma', pages: 474, isbn: '978-0141439587' })
    await v2.create('review', { book: emma.id, stars: 5 })
    await v1.sync()
    await v2.sync()
    await v1.sync()
    await v1.close()

    // The same database opened by the app's next version: its typed tables are projected
    // again from the log at open (the version rose), with no sync needed.
    const upgraded = await device(v2Schema, server, user.token, file)
    expect(await upgraded.get('book', emma.id)).toEqual({
      id: emma.id,
      space: null,
      title: 'Emma',
      pages: 474,
      isbn: '978-0141439587',
    })
    expect((await upgraded.get('book', dune.id))?.pages).toBe(412)
    expect((await upgraded.fetch('review')).map((r) => r.stars)).toEqual([5])
    expect((await upgraded.fetch('note')).map((n) => n.body)).toEqual(['hello'])
    expect((await upgraded.unreadable()).map((u) => u.value)).toEqual(['about 300'])
    // It now shows exactly what a device that was always on version 2 shows.
    expect(dumpOf(upgraded).tables).toEqual(dumpOf(v2).tables)
    expect(dumpOf(upgraded).unreadable).toEqual(dumpOf(v2).unreadable)

    const before = dumpOf(upgraded)
    await upgraded.rebuild()
    expect(dumpOf(upgraded)).toEqual(before)
    await upgraded.close()
    await v2.close()
  })

  it('a server with --min-schema-version refuses the old app with schema_too_old, shown in its status', async () => {
    const strict = await startServer({ db: 'memory', port: 0, logger: false, minSchemaVersion: 2 })
    try {
      const user = await strict.addUser(`strict-${Date.now()}`)
      const v1 = await device(v1Schema, strict, user.token)
      const v2 = await device(v2Schema, strict, user.token)
      await v1.create('book', { title: 'Dune', pages: '412' })
      const refused = await v1.sync().then(
        () => null,
        (error: unknown) => error,
      )
      expect(isTidingsError(refused, 'schema_too_old')).toBe(true)
      expect(v1.status).toMatchObject({
        state: 'error',
        pending: 1, // kept, for when the app is updated
        error: { code: 'schema_too_old' },
      })
      await v2.create('book', { title: 'Emma', pages: 474 })
      expect(await v2.sync()).toEqual({ pushed: 1, pulled: 0 })
      await v1.close()
      await v2.close()
    } finally {
      await strict.close()
    }
  })
})
