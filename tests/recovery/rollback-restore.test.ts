import path from 'node:path'
import { defineSchema, openClient, t } from '@tidings/client'
import { openNodeDatabase } from '@tidings/client/node'
import { type RunningServer, startServer } from '@tidings/server'
import { afterEach, describe, expect, it } from 'vitest'
import { copyLiveFile, type Restorable, restorableSqlite, restoreFile } from '../support/backups.js'
import { tempDir } from '../support/databases.js'

/**
 * Found by the chaos schedules (1 run in 8): a device rolls back to a copy that holds a queued
 * write its lost incarnation had pushed and a sibling had pulled. Told by the server that it
 * rolled back, it re-stamped that write too (same event ids, new HLCs); the server, restored
 * from a backup before the write, then took the new stamps, while the sibling kept the old ones
 * under the same ids (dedupe by id), so its register stayed on another winner for good.
 */
const schema = defineSchema({ note: { title: t.string() } })

/** The full state (registers and typed rows) of a client (test only). */
const dump = (client: unknown): unknown => (client as { store: { dump(): unknown } }).store.dump()

/** Each event of the log by id, with its HLC (test only). */
const stamps = (client: unknown): Record<string, string> => {
  const { store } = client as { store: { sql: { all<R>(sql: string): R[] } } }
  const rows = store.sql.all<{ id: string; hlc: string }>('SELECT id, hlc FROM events')
  return Object.fromEntries(rows.map((r) => [r.id, r.hlc]))
}

describe('a device that rolled back while the server restored a backup', () => {
  let database: Restorable | null = null
  let server: RunningServer | null = null
  afterEach(async () => {
    await server?.close()
    await database?.drop()
  })

  it('keeps the stamps of a write queued in its copy, which a sibling already holds', async () => {
    const files = tempDir('rollback-restore')
    try {
      database = restorableSqlite()
      server = await startServer({ db: database.url, port: 0, logger: false })
      const port = Number(new URL(server.url).port)
      const user = await server.addUser('ada')
      const file = path.join(files.dir, 'author.db')
      // Lets `allowed` more requests through, then fails like a dropped connection.
      let allowed = Number.POSITIVE_INFINITY
      const gated: typeof fetch = (input, init) =>
        allowed-- > 0 ? fetch(input, init) : Promise.reject(new TypeError('fetch failed'))
      const open = (at = ':memory:') =>
        openClient({
          schema,
          database: openNodeDatabase(at),
          server: { url: server!.url, token: user.token, backoffMs: 5, attempts: 1, fetch: gated },
          onError: () => undefined,
        })

      let author = await open(file)
      const sibling = await open()
      const note = await author.create('note', { title: 'first' })
      await author.sync()
      await author.update('note', note.id, { title: 'queued in the copy' })
      await copyLiveFile(file, `${file}.copy`)
      await database.backup()

      // The incarnation the rollback loses pushes the queued write and one more; the sibling
      // pulls both.
      await author.sync()
      await author.create('note', { title: 'lost by both' })
      await author.sync()
      await sibling.sync()
      const pulled = stamps(sibling)

      // The device goes back to its copy and asks where the server has it: the server (not yet
      // restored) holds a bundle of it that the copy lacks. Its pushes then fail.
      await author.close()
      restoreFile(`${file}.copy`, file)
      allowed = 1
      author = await open(file)
      await author.sync().catch(() => undefined)
      allowed = Number.POSITIVE_INFINITY
      // The queued write keeps the stamps the sibling holds.
      for (const [id, hlc] of Object.entries(stamps(author))) expect(hlc).toBe(pulled[id] ?? hlc)

      // The server restores its backup, which holds neither write.
      await server.close()
      await database.restore()
      server = await startServer({ db: database.url, port, logger: false })
      // The author syncs first: it pushes the queued write before the sibling pushes it back.
      // (A first request may meet a connection the old server process closed: it is retried.)
      const sync = async (device: typeof author) => {
        for (let attempt = 0; attempt < 3; attempt++) {
          const ok = await device.sync().then(
            () => true,
            () => false,
          )
          if (ok) return
        }
        throw new Error('sync kept failing')
      }
      await sync(author)
      await sync(sibling)
      await sync(author)

      const fresh = await open()
      await fresh.sync()
      expect(await author.get('note', note.id)).toMatchObject({ title: 'queued in the copy' })
      expect(dump(sibling)).toEqual(dump(author))
      expect(dump(fresh)).toEqual(dump(author))
      expect(stamps(sibling)).toEqual(stamps(fresh))
      for (const device of [author, sibling, fresh]) await device.close()
    } finally {
      files.remove()
    }
  })
})
