import { canWrite, type PartedBundle, type Role, TidingsError } from '@tidings/protocol'
import type { Kysely, Transaction } from 'kysely'
import { chunks, ID_CHUNK } from './chunks.js'
import type { Family } from './dialects/family.js'
import { appendFeed } from './feed.js'
import { nothingPushed, pushHashed, type StoredPush } from './push.js'
import { asConflict, dedupe, type Hashed, type StoredRow, storedQueries } from './push-plan.js'
import type { Database } from './schema.js'
import { lockSpaces } from './spaces/lock.js'
import type { SharedPushed } from './store.js'

/** A request's bundles by where they go: the pusher's private stream, or a shared space. */
export interface BySpace {
  /** Bundles of the private space, `space` left out (it is the user's own id, or absent). */
  own: PartedBundle[]
  /** Bundles naming another space, by space. */
  shared: Map<string, PartedBundle[]>
}

/**
 * Splits a request by space; null when no bundle names a space, so the private push keeps its
 * path untouched. A bundle naming the user's own id is a private bundle: its `space` is
 * dropped, so it hashes as the same bundle sent without it.
 */
export const splitBySpace = (user: string, bundles: readonly PartedBundle[]): BySpace | null => {
  if (!bundles.some((b) => b.space !== undefined)) return null
  const own: PartedBundle[] = []
  const shared = new Map<string, PartedBundle[]>()
  for (const bundle of bundles) {
    if (bundle.space === undefined || bundle.space === user) {
      const { space: _, ...rest } = bundle
      own.push(rest)
      continue
    }
    const list = shared.get(bundle.space) ?? []
    list.push(bundle)
    shared.set(bundle.space, list)
  }
  return { own, shared }
}

export interface SharedPushResult extends StoredPush {
  shared: SharedPushed[]
}

/**
 * Stores a request that writes shared spaces, all of it in one transaction: the spaces' locks
 * first (sorted), then the pusher's role in each, read under the lock (invariant 6), then the
 * bundles, each space's at its own next positions, then one feed `push` entry for every current
 * member of each space that gained bundles. A request holding any bundle the pusher may not
 * write is refused whole (`forbidden`, nothing stored), except that a bundle the space already
 * holds with identical content is acknowledged whatever the role (a retry after a removal).
 * An entity belongs to the space that first wrote it: a bundle writing another space's entity
 * is refused too.
 */
export const pushShared = async (
  db: Kysely<Database>,
  family: Family,
  input: { user: string; split: BySpace; now: number },
): Promise<SharedPushResult> => {
  const own = dedupe(input.split.own)
  const spaces = [...input.split.shared.keys()].sort()
  const bySpace = new Map(spaces.map((s) => [s, dedupe(input.split.shared.get(s) ?? [])]))
  try {
    return await db.transaction().execute(async (trx) => {
      const existing = await lockSpaces(trx, family, spaces)
      const roles = await rolesOf(trx, input.user, [...existing])
      const fresh = new Map<string, Hashed[]>()
      const refused: string[] = []
      const refusedSpaces: Array<{ id: string; role: Role | null }> = []
      for (const space of spaces) {
        const unique = bySpace.get(space) ?? []
        const stored = await storedIn(trx, family, space, unique)
        const news = unique.filter((h) => stored.get(h.bundle.id) !== h.hash)
        fresh.set(space, news)
        const role = roles.get(space) ?? null
        if (news.length === 0 || canWrite(role)) continue
        refused.push(...news.map((h) => h.bundle.id))
        refusedSpaces.push({ id: space, role })
      }
      if (refused.length > 0) throw forbiddenSpaces(refused, refusedSpaces)
      await assertIdsFree(trx, [...fresh.entries()])
      for (const [space, news] of fresh) await claimEntities(trx, space, news)
      const pushed =
        own.length > 0
          ? await pushHashed(trx, family, { stream: input.user, unique: own, now: input.now })
          : nothingPushed()
      const shared: SharedPushed[] = []
      for (const space of spaces) {
        const unique = bySpace.get(space) ?? []
        if ((fresh.get(space) ?? []).length === 0) continue
        const done = await pushHashed(trx, family, { stream: space, unique, now: input.now })
        if (done.added === 0) continue
        const members = await membersOf(trx, space)
        const from = done.head - done.added + 1
        await appendFeed(trx, family, members, {
          space,
          kind: 'push',
          from,
          to: done.head,
          role: null,
          at: input.now,
        })
        shared.push({ space, head: done.head, added: done.added, members })
      }
      const accepted = [...own, ...spaces.flatMap((s) => bySpace.get(s) ?? [])].map(
        (h) => h.bundle.id,
      )
      return { ...pushed, accepted, shared }
    })
  } catch (err) {
    throw asConflict(err)
  }
}

/** The user's role in each of these spaces now (absent: not a member, or removed). */
const rolesOf = async (
  trx: Transaction<Database>,
  user: string,
  spaces: readonly string[],
): Promise<Map<string, Role>> => {
  const roles = new Map<string, Role>()
  if (spaces.length === 0) return roles
  const rows = await trx
    .selectFrom('members')
    .select(['space', 'role'])
    .where('user_id', '=', user)
    .where('space', 'in', spaces)
    .where('role', 'is not', null)
    .execute()
  for (const row of rows) roles.set(row.space, row.role as Role)
  return roles
}

/** The space's current members (removed ones excluded), who each get a feed entry. */
export const membersOf = async (trx: Transaction<Database>, space: string): Promise<string[]> => {
  const rows = await trx
    .selectFrom('members')
    .select('user_id')
    .where('space', '=', space)
    .where('role', 'is not', null)
    .execute()
  return rows.map((r) => r.user_id)
}

/** Hashes of the bundles among `unique` that the space already holds, by id. */
const storedIn = async (
  trx: Transaction<Database>,
  family: Family,
  space: string,
  unique: Hashed[],
): Promise<Map<string, string>> => {
  const found = new Map<string, string>()
  for (const query of storedQueries(trx, family, space, unique))
    for (const row of (await trx.executeQuery<StoredRow>(query.compile())).rows)
      if (row.kind === 'b') found.set(row.id, row.hash)
  return found
}

/** Bundle ids are unique across spaces: the same id stored in another stream is a conflict. */
const assertIdsFree = async (
  trx: Transaction<Database>,
  fresh: ReadonlyArray<[string, Hashed[]]>,
): Promise<void> => {
  for (const [space, news] of fresh)
    for (const ids of chunks(
      news.map((h) => h.bundle.id),
      ID_CHUNK,
    )) {
      const other = await trx
        .selectFrom('bundles')
        .select(['id'])
        .where('id', 'in', ids)
        .where('stream', '<>', space)
        .executeTakeFirst()
      if (other)
        throw new TidingsError(
          'conflict',
          `bundle ${other.id} is already stored in another space; a bundle id is never reused`,
          { details: { bundle: other.id } },
        )
    }
}

/**
 * Records the space of every entity the new bundles write (the first writer's space wins, as
 * the insert ignores entities already recorded), then refuses the request when one of them
 * belongs to another space.
 */
const claimEntities = async (
  trx: Transaction<Database>,
  space: string,
  news: Hashed[],
): Promise<void> => {
  const owner = new Map<string, string>()
  for (const h of news) for (const e of h.bundle.events) owner.set(e.entity, h.bundle.id)
  for (const ids of chunks([...owner.keys()].sort(), ID_CHUNK)) {
    await trx
      .insertInto('entities')
      .values(ids.map((id) => ({ id, space })))
      .onConflict((oc) => oc.column('id').doNothing())
      .execute()
    const taken = await trx
      .selectFrom('entities')
      .select(['id', 'space'])
      .where('id', 'in', ids)
      .where('space', '<>', space)
      .executeTakeFirst()
    if (taken)
      throw new TidingsError(
        'forbidden',
        `entity ${taken.id} belongs to another space; an entity never changes space`,
        { details: { bundle: owner.get(taken.id), entity: taken.id } },
      )
  }
}

const forbiddenSpaces = (
  bundles: string[],
  spaces: Array<{ id: string; role: Role | null }>,
): TidingsError =>
  new TidingsError(
    'forbidden',
    `${bundles.length} bundle(s) write spaces the caller may not write; nothing was stored`,
    { details: { bundles, spaces } },
  )
