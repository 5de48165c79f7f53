import { TidingsError } from '@tidings/protocol'
import { chunks, ID_CHUNK } from './chunks.js'
import { type Backend, isUniqueViolation } from './dialects/family.js'
import { GroupCommit } from './group-commit.js'
import { openBackend } from './open.js'
import { pipelinedPush } from './postgres-push.js'
import { getBundlesById, listBundleIds, pullPage } from './pull.js'
import { pushBundles } from './push.js'
import type { Store, UserAuthRow, UserInfo } from './store.js'

const ms = (value: number | string | null): number | null => (value === null ? null : Number(value))

/** The one Store implementation: Kysely SQL shared by SQLite and Postgres. */
export class KyselyStore implements Store {
  readonly family: Backend['family']
  readonly description: string
  private readonly db: Backend['db']
  private readonly pipelined: Backend['pipelined']
  /** SQLite: concurrent pushes share one transaction, so one fsync (see GroupCommit). */
  private readonly group: GroupCommit | undefined

  constructor(backend: Backend) {
    this.family = backend.family
    this.description = backend.description
    this.db = backend.db
    this.pipelined = backend.pipelined
    this.group = backend.family === 'sqlite' ? new GroupCommit(backend.db, 'sqlite') : undefined
  }

  async createUser(user: {
    id: string
    name: string
    tokenHash: string
    now: number
  }): Promise<void> {
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('users')
          .values({
            id: user.id,
            name: user.name,
            token_hash: user.tokenHash,
            created_at: user.now,
            revoked_at: null,
          })
          .execute()
        await trx.insertInto('streams').values({ stream: user.id, last_seq: 0 }).execute()
      })
    } catch (err) {
      if (isUniqueViolation(err))
        throw new TidingsError('conflict', `user ${JSON.stringify(user.name)} already exists`, {
          cause: err,
        })
      throw err
    }
  }

  async ensureUser(user: {
    id: string
    name: string
    tokenHash: string
    now: number
  }): Promise<void> {
    const updated = await this.db
      .updateTable('users')
      .set({ token_hash: user.tokenHash, revoked_at: null })
      .where('name', '=', user.name)
      .executeTakeFirst()
    if (Number(updated.numUpdatedRows) === 0) await this.createUser(user)
  }

  async findUserByTokenHash(tokenHash: string): Promise<UserAuthRow | null> {
    const row = await this.db
      .selectFrom('users')
      .select(['id', 'name', 'token_hash', 'created_at', 'revoked_at'])
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst()
    if (!row) return null
    return {
      id: row.id,
      name: row.name,
      tokenHash: row.token_hash,
      createdAt: Number(row.created_at),
      revokedAt: ms(row.revoked_at),
    }
  }

  async listUsers(): Promise<UserInfo[]> {
    const rows = await this.db
      .selectFrom('users')
      .select(['id', 'name', 'created_at', 'revoked_at'])
      .orderBy('name')
      .execute()
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      createdAt: Number(r.created_at),
      revokedAt: ms(r.revoked_at),
    }))
  }

  async revokeUser(name: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('users')
      .set({ revoked_at: now })
      .where('name', '=', name)
      .where('revoked_at', 'is', null)
      .executeTakeFirst()
    if (Number(result.numUpdatedRows) > 0) return true
    const exists = await this.db
      .selectFrom('users')
      .select('id')
      .where('name', '=', name)
      .executeTakeFirst()
    return exists !== undefined
  }

  async registerClients(
    userId: string,
    clientIds: readonly string[],
    now: number,
  ): Promise<Map<string, string>> {
    const owners = new Map<string, string>()
    for (const ids of chunks([...new Set(clientIds)], ID_CHUNK)) {
      await this.db
        .insertInto('clients')
        .values(ids.map((id) => ({ id, user_id: userId, created_at: now })))
        .onConflict((oc) => oc.column('id').doNothing())
        .execute()
      const rows = await this.db
        .selectFrom('clients')
        .select(['id', 'user_id'])
        .where('id', 'in', ids)
        .execute()
      for (const row of rows) owners.set(row.id, row.user_id)
    }
    return owners
  }

  push: Store['push'] = async (input) => {
    if (this.group) return this.group.push(input)
    const pipelined = this.pipelined && (await pipelinedPush(this.pipelined, this.db, input))
    return pipelined ? pipelined.pushed : pushBundles(this.db, this.family, input)
  }
  sync: Store['sync'] = async (push, pull) => {
    if (this.pipelined) {
      const done = await pipelinedPush(this.pipelined, this.db, push, pull)
      if (done?.page) return { pushed: done.pushed, page: done.page }
      if (done) return { pushed: done.pushed, page: await this.pull(pull) }
    }
    const pushed = await this.push(push)
    return { pushed, page: await this.pull(pull) }
  }
  pull: Store['pull'] = (options) => pullPage(this.db, options)
  bundleIds: Store['bundleIds'] = (stream) => listBundleIds(this.db, stream)
  getBundles: Store['getBundles'] = (stream, ids) => getBundlesById(this.db, stream, ids)

  async close(): Promise<void> {
    await this.db.destroy()
  }
}

/** Opens (and migrates) the store a database URL names; see `openBackend`. */
export const openStore = async (url: string): Promise<Store> =>
  new KyselyStore(await openBackend(url))
