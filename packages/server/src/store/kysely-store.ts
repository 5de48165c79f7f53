import { TidingsError } from '@tidings/protocol'
import { chunks, ID_CHUNK } from './chunks.js'
import { compactStreams, horizonsOf } from './compaction/compact.js'
import { acknowledgingTwins } from './compaction/twin.js'
import { type Backend, isRetryable, isUniqueViolation } from './dialects/family.js'
import { pullFeed } from './feed-pull.js'
import { GroupCommit } from './group-commit.js'
import { heldTokenHashes, holderQuery, tokenRefused } from './holder.js'
import { userOfIdentity } from './identities.js'
import { openBackend } from './open.js'
import { pipelinedPull, pipelinedPush } from './postgres-push.js'
import { getBundlesById, latestOfClient, listBundleIds, pageKnownEmpty, pullPage } from './pull.js'
import { pushBundles } from './push.js'
import { type BySpace, pushShared, splitBySpace } from './shared-push.js'
import { mayRead, readableBundles } from './space-reads.js'
import { KyselySpaces } from './spaces.js'
import type {
  Page,
  PullOptions,
  PushInput,
  PushResult,
  Store,
  TokenHolder,
  UserAuthRow,
  UserInfo,
} from './store.js'
import { countStream } from './stream-size.js'
import { deleteUser } from './users/delete-user.js'
import { advanceWriter, claimWriter } from './writers/writers.js'

/** Tries of idempotent work on Postgres; a few, since every pooled connection may be dead. */
const ATTEMPTS = 3

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

  /** Every request's first query: on a pooled connection found dead it runs again too. */
  findUserByTokenHash(tokenHash: string): Promise<UserAuthRow | null> {
    return this.again(() => this.findUserOnce(tokenHash))
  }

  private async findUserOnce(tokenHash: string): Promise<UserAuthRow | null> {
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
      .leftJoin('identities', 'identities.user_id', 'users.id')
      .select([
        'users.id',
        'users.name',
        'users.created_at',
        'users.revoked_at',
        'identities.issuer',
        'identities.subject',
      ])
      .orderBy('users.name')
      .execute()
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      createdAt: Number(r.created_at),
      revokedAt: ms(r.revoked_at),
      ...(r.issuer !== null &&
        r.subject !== null && { identity: { issuer: r.issuer, subject: r.subject } }),
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

  deleteUser: Store['deleteUser'] = (input) => deleteUser(this.db, this.family, input)

  userOfIdentity: Store['userOfIdentity'] = (identity) =>
    this.again(() => userOfIdentity(this.db, identity))

  heldTokens: Store['heldTokens'] = (tokenHashes) =>
    this.again(() => heldTokenHashes(this.db, tokenHashes))

  /** Idempotent (insert if absent, then read), so safe to run again like a push. */
  registerClients(
    userId: string,
    clientIds: readonly string[],
    now: number,
  ): Promise<Map<string, string>> {
    return this.again(() => this.registerOnce(userId, clientIds, now))
  }

  private async registerOnce(
    userId: string,
    clientIds: readonly string[],
    now: number,
  ): Promise<Map<string, string>> {
    const owners = new Map<string, string>()
    // Sorted: concurrent requests naming the same new clients lock their rows in one order,
    // so they cannot deadlock on each other's uncommitted inserts.
    for (const ids of chunks([...new Set(clientIds)].sort(), ID_CHUNK)) {
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

  /** A push; a re-pushed bundle that compaction trimmed is acknowledged (`compaction/twin.ts`). */
  push: Store['push'] = (request) =>
    acknowledgingTwins(this.db, request, async (input) => {
      const pushed = await this.pushPlain(input)
      return { pushed, accepted: pushed.accepted }
    }).then(({ pushed, accepted }) => ({ ...pushed, accepted }))

  private pushPlain: Store['push'] = async (request) => {
    const split = splitBySpace(request.stream, request.bundles)
    if (split && split.shared.size > 0) return this.again(() => this.pushSharedOnce(request, split))
    const input = split ? { ...request, bundles: split.own } : request
    if (this.group) {
      await this.confirm(input.holder)
      const { headBefore: _, ...pushed } = await this.group.push(input)
      return pushed
    }
    return this.again(() => this.pushOnce(input))
  }
  private pushOnce: Store['push'] = async (input) => {
    const pipelined = this.pipelined && (await pipelinedPush(this.pipelined, this.db, input))
    if (pipelined) return pipelined.pushed
    await this.confirm(input.holder)
    const { headBefore: _, ...pushed } = await pushBundles(this.db, this.family, input)
    return pushed
  }
  sync: Store['sync'] = (push, pull) =>
    acknowledgingTwins(this.db, push, async (input) => {
      const done = await this.syncPlain(input, pull)
      return { ...done, accepted: done.pushed.accepted }
    }).then(({ accepted, ...done }) => ({ ...done, pushed: { ...done.pushed, accepted } }))

  private syncPlain: Store['sync'] = (push, pull) =>
    this.again(async () => {
      const done = await this.syncOnce(push, pull)
      return { pushed: done.pushed, page: await this.replayIfStale(done.page, pull) }
    })
  private syncOnce: Store['sync'] = async (request, pull) => {
    const split = splitBySpace(request.stream, request.bundles)
    if (split && split.shared.size > 0)
      return { pushed: await this.pushSharedOnce(request, split), page: await this.pullOnce(pull) }
    const push = split ? { ...request, bundles: split.own } : request
    if (this.pipelined) {
      if (push.bundles.length === 0)
        return {
          pushed: { accepted: [], added: 0, head: 0 },
          page: await pipelinedPull(this.pipelined, this.db, pull, push.holder),
        }
      const done = await pipelinedPush(this.pipelined, this.db, push, pull)
      if (done?.page) return { pushed: done.pushed, page: done.page }
      if (done) return { pushed: done.pushed, page: await this.pullOnce(pull) }
    }
    await this.confirm(push.holder)
    const stored = this.group
      ? await this.group.push(push)
      : await pushBundles(this.db, this.family, push)
    const { headBefore, ...pushed } = stored
    if (pageKnownEmpty(pull, headBefore, push.bundles))
      return { pushed, page: { bundles: [], cursor: pushed.head, more: false } }
    return { pushed, page: await this.pullOnce(pull) }
  }

  /** A request that writes shared spaces: one transaction, role checked under the space locks. */
  private async pushSharedOnce(input: PushInput, split: BySpace): Promise<PushResult> {
    await this.confirm(input.holder)
    const { headBefore: _, ...pushed } = await pushShared(this.db, this.family, {
      user: input.stream,
      split,
      now: input.now,
    })
    // Every bundle was stored or already held: acknowledged in the request's order.
    return { ...pushed, accepted: [...new Set(input.bundles.map((b) => b.id))] }
  }

  /** Throws `unauthorized` unless the holder still holds its token, unrevoked. */
  private async confirm(holder: TokenHolder | undefined): Promise<void> {
    if (holder && !(await holderQuery(this.db, holder).executeTakeFirst())) throw tokenRefused()
  }

  /**
   * Postgres: runs a push (or any idempotent read) again when its connection was lost (a
   * pooled connection whose backend was terminated is found dead only on use) or it hit a
   * deadlock or serialization failure. Safe because a push is idempotent: the same bundles
   * again are stored once and accepted, even when the first attempt did commit before its
   * connection died (then the retry adds nothing and sends no poke; clients still find the
   * bundles by cursor).
   */
  private async again<T>(attempt: () => Promise<T>): Promise<T> {
    for (let tries = 1; ; tries++) {
      try {
        return await attempt()
      } catch (err) {
        if (this.family !== 'postgres' || tries >= ATTEMPTS || !isRetryable(err)) throw err
      }
    }
  }
  pull: Store['pull'] = (options) =>
    this.again(async () => this.replayIfStale(await this.pullOnce(options), options))

  /**
   * A page whose cursor check failed (see `http/cursor.ts`), read again from the beginning of
   * the stream and marked `reset`, so the client re-pulls and re-pushes what the server lacks.
   */
  private async replayIfStale(page: Page, pull: PullOptions): Promise<Page> {
    if (!page.reset) return page
    const { check: _, ...fresh } = pull
    return Object.assign(await this.pullOnce({ ...fresh, after: 0 }), { reset: true })
  }

  pullFeed: Store['pullFeed'] = (options) => this.again(() => pullFeed(this.db, options))
  mayRead: Store['mayRead'] = (user, space) => this.again(() => mayRead(this.db, user, space))
  readableBundles: Store['readableBundles'] = (user, ids) =>
    this.again(() => readableBundles(this.db, user, ids))
  latestOf: Store['latestOf'] = (stream, client) =>
    this.again(() => latestOfClient(this.db, stream, client))
  private pullOnce: Store['pull'] = (options) =>
    this.pipelined ? pipelinedPull(this.pipelined, this.db, options) : pullPage(this.db, options)
  bundleIds: Store['bundleIds'] = (stream) => this.again(() => listBundleIds(this.db, stream))
  getBundles: Store['getBundles'] = (stream, ids) =>
    this.again(() => getBundlesById(this.db, stream, ids))
  streamSize: Store['streamSize'] = (stream) => this.again(() => countStream(this.db, stream))
  claimWriter: Store['claimWriter'] = (input) => this.again(() => claimWriter(this.db, input))
  // Not retried: a compare-and-set that committed before its connection dropped would fail
  // its retry and be taken for another process's reservation (harmless, but a wasted range).
  advanceWriter: Store['advanceWriter'] = (input) => advanceWriter(this.db, input)
  compact: Store['compact'] = (options) => compactStreams(this.db, options)
  horizons: Store['horizons'] = (streams) => this.again(() => horizonsOf(this.db, streams))

  // Spaces, members and invites: see spaces.ts.
  private get spaceOps(): KyselySpaces {
    return new KyselySpaces(this.db, this.family)
  }
  createSpace: Store['createSpace'] = (input) => this.spaceOps.createSpace(input)
  listSpaces: Store['listSpaces'] = (user) => this.spaceOps.listSpaces(user)
  roleOf: Store['roleOf'] = (space, user) => this.spaceOps.roleOf(space, user)
  listMembers: Store['listMembers'] = (space, caller) => this.spaceOps.listMembers(space, caller)
  setRole: Store['setRole'] = (input) => this.spaceOps.setRole(input)
  removeMember: Store['removeMember'] = (input) => this.spaceOps.removeMember(input)
  createInvite: Store['createInvite'] = (input) => this.spaceOps.createInvite(input)
  listInvites: Store['listInvites'] = (space, caller) => this.spaceOps.listInvites(space, caller)
  revokeInvite: Store['revokeInvite'] = (input) => this.spaceOps.revokeInvite(input)
  acceptInvite: Store['acceptInvite'] = (input) => this.spaceOps.acceptInvite(input)
  listAllSpaces: Store['listAllSpaces'] = () => this.spaceOps.listAllSpaces()

  async close(): Promise<void> {
    await this.db.destroy()
  }
}

/** Opens (and migrates) the store a database URL names; see `openBackend`. */
export const openStore = async (url: string): Promise<Store> =>
  new KyselyStore(await openBackend(url))
