import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineSchema, openClient, t } from '@tidings/client'
import { openNodeDatabase } from '@tidings/client/node'
import { loadSchemaFile, type RunningServer, startServer } from '@tidings/server'
import Sqlite from 'better-sqlite3'
import fc from 'fast-check'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  freshPostgres,
  hasPostgres,
  type TestDatabase,
  tempSqlite,
} from '../../packages/server/src/testing/backends.js'

/**
 * The server's SQL read model equals what real clients show after syncing: devices of two
 * users create, edit and delete documents in a shared space, syncing at random moments; once
 * all have synced, every entity row of the read model (and its typed row, made from the app's
 * own `defineSchema` exported as JSON) is what each client's `fetch` answers.
 */
const schema = defineSchema(
  {
    document: {
      title: t.string(),
      author: t.string().index().optional(),
      pages: t.number().optional(),
    },
  },
  { indexes: { document: [['author', 'title']] } },
)

const backends = [
  { name: 'sqlite', create: tempSqlite },
  ...(hasPostgres ? [{ name: 'postgres', create: () => freshPostgres() }] : []),
]
console.log(`[read-model clients] backends: ${backends.map((b) => b.name).join(', ')}`)

const op = fc.record({
  device: fc.nat({ max: 2 }),
  kind: fc.constantFrom('create', 'update', 'delete', 'sync'),
  entity: fc.nat({ max: 3 }),
  title: fc.string({ maxLength: 5 }),
  author: fc.option(fc.constantFrom('Ada', 'Bo'), { nil: undefined }),
  pages: fc.option(fc.integer({ min: 0, max: 500 }), { nil: undefined }),
})

describe.each(backends)('read model = client state on $name', (backend) => {
  let database: TestDatabase
  let server: RunningServer
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidings-rm-'))
    const file = join(dir, 'schema.json')
    await writeFile(
      file,
      JSON.stringify({ ...schema, indexes: { document: schema.indexes('document') } }),
    )
    database = await backend.create()
    server = await startServer({
      db: database.url,
      port: 0,
      readModel: { schema: await loadSchemaFile(file) },
    })
  })
  afterAll(async () => {
    await server?.close()
    await database?.dispose()
    await rm(dir, { recursive: true, force: true })
  })

  /** Rows of the server's read model for `space` (entities and typed), on the server's own database. */
  const readModel = async (space: string) => {
    const query = async (text: string): Promise<Record<string, unknown>[]> => {
      if (backend.name === 'postgres') {
        const client = new pg.Client({ connectionString: database.url })
        await client.connect()
        try {
          return (await client.query(text.replaceAll('?', '$1'), [space])).rows
        } finally {
          await client.end()
        }
      }
      const file = new Sqlite(database.url.slice('sqlite:'.length), { readonly: true })
      try {
        return file.prepare(text).all(space) as Record<string, unknown>[]
      } finally {
        file.close()
      }
    }
    const typedName = backend.name === 'postgres' ? 'tidings_app.document' : 'tidings_app_document'
    return {
      entities: await query(
        'SELECT id, data, deleted FROM read_model_entities WHERE space = ? ORDER BY id',
      ),
      typed: await query(
        `SELECT id, title, author, pages, deleted FROM ${typedName} WHERE space = ? ORDER BY id`,
      ),
    }
  }

  it('shows what every synced client shows, after random writes and syncs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
        const suffix = Math.random().toString(36).slice(2, 10)
        const [ada, bo] = [
          await server.addUser(`ada${suffix}`),
          await server.addUser(`bo${suffix}`),
        ]
        const open = (token: string) =>
          openClient({
            schema,
            database: openNodeDatabase(':memory:'),
            server: { url: server.url, token },
          })
        const devices = [await open(ada.token), await open(ada.token), await open(bo.token)]
        try {
          const space = (await devices[0]!.createSpace('shelf')).id
          const code = await devices[0]!.invite(space, 'writer')
          await devices[2]!.acceptInvite(code)
          for (const d of devices) await d.sync()
          const ids: (string | undefined)[] = []
          for (const o of ops) {
            const device = devices[o.device]!
            const id = ids[o.entity]
            const known = id !== undefined && (await device.get('document', id)) !== null
            if (o.kind === 'sync') await device.sync()
            else if (o.kind === 'create' || !known) {
              const doc = await device.create(
                'document',
                {
                  title: o.title,
                  ...(o.author && { author: o.author }),
                  ...(o.pages !== undefined && { pages: o.pages }),
                },
                { space },
              )
              ids[o.entity] = doc.id
            } else if (o.kind === 'update')
              await device.update('document', id, {
                title: o.title,
                ...(o.pages !== undefined && { pages: o.pages }),
              })
            else await device.delete('document', id)
          }
          for (let round = 0; round < 2; round++) for (const d of devices) await d.sync()
          await server.readModel!.catchUp()
          const model = await readModel(space)
          const shown = (await devices[2]!.fetch('document', { space, includeDeleted: true })).sort(
            (a, b) => (a.id < b.id ? -1 : 1),
          )
          // Objects carry no tombstone: the deleted ones are those a plain fetch leaves out.
          const alive = new Set((await devices[2]!.fetch('document', { space })).map((d) => d.id))
          for (const d of devices.slice(0, 2))
            expect(await d.fetch('document', { space, includeDeleted: true })).toEqual(
              expect.arrayContaining(shown),
            )
          expect(model.entities.map((e) => e.id)).toEqual(shown.map((d) => d.id))
          for (const [i, doc] of shown.entries()) {
            const row = model.entities[i]!
            const data = (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) as Record<
              string,
              unknown
            >
            expect(Boolean(row.deleted)).toBe(!alive.has(doc.id))
            expect(data.title).toBe(doc.title)
            expect(data.author).toBe(doc.author)
            expect(data.pages).toBe(doc.pages)
            const typed = model.typed[i]!
            expect(typed).toMatchObject({
              id: doc.id,
              title: doc.title,
              author: doc.author ?? null,
            })
            expect(typed.pages === null ? undefined : Number(typed.pages)).toBe(doc.pages)
          }
        } finally {
          for (const d of devices) await d.close()
        }
      }),
      { numRuns: 6 },
    )
  })
})
