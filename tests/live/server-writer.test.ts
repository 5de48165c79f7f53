import { isTidingsError, ROUTES, routePath } from '@tidings/protocol'
import {
  openServerWriter,
  type RunningServer,
  type ServerWriter,
  startServer,
} from '@tidings/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postgresReachable, type TempDatabase, tempPostgres } from '../support/databases.js'
import { holds, type NoteClient, openTestClient, schema, until } from './support.js'

/**
 * Issue 17: a backend writes app data as a service user, in process (`openServerWriter`) or
 * over HTTP (`POST /v1/spaces/:space/writes`), and a member's Node client, syncing only on live
 * pokes (never polling), receives it like any device's write. Readers and non-members are
 * refused with `forbidden`.
 */
const scenario = (name: string, db: () => Promise<{ url: string; drop(): Promise<void> }>) =>
  describe(name, () => {
    let database: { url: string; drop(): Promise<void> }
    let server: RunningServer
    let ann: Awaited<ReturnType<typeof openTestClient>>
    let space: string
    const tokens: Record<'svc' | 'rex' | 'nob', string> = { svc: '', rex: '', nob: '' }

    /** `POST /v1/spaces/:space/writes` as `who`. */
    const postWrites = (who: keyof typeof tokens, writes: unknown[]) =>
      fetch(`${server.url}${routePath(ROUTES.writes, { space })}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' },
        body: JSON.stringify({ writes }),
      })

    /** The space's notes as Ann's device shows them. */
    const annHolds = (client: NoteClient, texts: string[]) =>
      until(`Ann's device to show ${texts.join(', ')}`, () => holds(client, texts))

    beforeAll(async () => {
      database = await db()
      server = await startServer({ db: database.url, port: 0, schema })
      const owner = await server.addUser('ann')
      ann = await openTestClient({ urls: [server.url], token: owner.token })
      space = (await ann.client.createSpace('newsroom')).id
      for (const [who, role] of [
        ['svc', 'writer'],
        ['rex', 'reader'],
        ['nob', null],
      ] as const) {
        tokens[who] = (await server.addUser(who)).token
        if (!role) continue
        const code = await ann.client.invite(space, role)
        const accepted = await fetch(`${server.url}${ROUTES.acceptInvite}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' },
          body: JSON.stringify({ code }),
        })
        expect(accepted.status).toBe(200)
      }
      ann.client.startSync()
      await until('Ann to open her live stream', async () => ann.count('live') >= 1)
    })
    afterAll(async () => {
      await ann?.client.close()
      await server?.close()
      await database?.drop()
    })

    it('delivers an in-process server write to a member’s device through a live poke', async () => {
      const writer: ServerWriter<typeof schema.types> = await openServerWriter({
        ...(database.url.startsWith('postgres') ? { db: database.url } : { store: server.store }),
        schema,
        user: 'svc',
        space,
      })
      const note = await writer.create('note', { text: 'from the backend', by: 'svc' })
      await annHolds(ann.client, ['from the backend'])
      const seen = await ann.client.get('note', note.id)
      expect(seen).toMatchObject({ text: 'from the backend', by: 'svc', space })
      await writer.update('note', note.id, { text: 'edited by the backend' })
      await annHolds(ann.client, ['edited by the backend'])
      await writer.close()
    })

    it('delivers a write over HTTP, answering the ids and HLCs written', async () => {
      const res = await postWrites('svc', [
        { op: 'create', type: 'note', id: 'http-1', fields: { text: 'over http', by: 'svc' } },
      ])
      expect(res.status).toBe(200)
      const answer = (await res.json()) as { space: string; writes: Array<{ id: string }> }
      expect(answer).toMatchObject({ space, writes: [{ op: 'create', id: 'http-1' }] })
      await annHolds(ann.client, ['over http'])
    })

    it('refuses a reader and a non-member, over HTTP and in process, with forbidden', async () => {
      for (const who of ['rex', 'nob'] as const) {
        const res = await postWrites(who, [
          { op: 'create', type: 'note', fields: { text: `by ${who}`, by: who } },
        ])
        expect([
          who,
          res.status,
          ((await res.json()) as { error: { code: string } }).error.code,
        ]).toEqual([who, 403, 'forbidden'])
        const writer = await openServerWriter({ store: server.store, schema, user: who, space })
        const refused = await writer.create('note', { text: `by ${who}`, by: who }).catch((e) => e)
        expect(isTidingsError(refused, 'forbidden')).toBe(true)
      }
      // A write that does not fit the schema names its reason.
      const bad = await postWrites('svc', [{ op: 'create', type: 'note', fields: { text: 1 } }])
      expect(((await bad.json()) as { error: { details: unknown } }).error.details).toEqual({
        reason: 'wrong_value',
        field: 'note.text',
      })
      await ann.client.sync()
      expect(await holds(ann.client, ['by rex'])).toBe(false)
      expect(await holds(ann.client, ['by nob'])).toBe(false)
    })
  })

scenario('a server-side writer on one node (SQLite, in-process hub)', async () => ({
  url: 'memory',
  drop: async () => {},
}))

/**
 * On Postgres the in-process test opens the writer by database URL, as a separate backend
 * would: its poke crosses to the server through NOTIFY.
 */
describe.runIf(await postgresReachable())('on Postgres', () => {
  scenario('a server-side writer beside the server (Postgres, NOTIFY)', () =>
    tempPostgres('writer').then((db: TempDatabase) => db),
  )
})
