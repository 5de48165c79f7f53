import { isTidingsError, newId, type Role } from '@tidings/protocol'
import type { Kysely } from 'kysely'
import { readFeed } from '../store/feed.js'
import type { Database } from '../store/schema.js'
import type { Store } from '../store/store.js'
import { SpacesTestKit } from './spaces.js'

/**
 * Spaces and memberships for tests of sync, made through the real membership store (create,
 * invite and accept, set a role, remove), so every sync test also checks that what membership
 * writes is what sync reads.
 */
export class SpaceFixture {
  private readonly kit: SpacesTestKit

  constructor(private readonly store: Store) {
    this.kit = new SpacesTestKit(() => store)
  }

  private get db(): Kysely<Database> {
    return this.kit.db
  }

  /** A shared space with `owner` as its owner; answers its id. */
  async createSpace(owner: string, name = 'shared'): Promise<string> {
    const space = await this.store.createSpace({ id: newId(), name, owner, now: Date.now() })
    return space.id
  }

  /** `user` joins (by an owner's invite), rejoins, or changes role when already in. */
  async join(space: string, user: string, role: Role): Promise<void> {
    const owner = await this.ownerOtherThan(space, user)
    if ((await this.store.roleOf(space, user)) !== null) {
      try {
        await this.store.setRole({ space, caller: owner, user, role, now: Date.now() })
        return
      } catch (error) {
        // Removed meanwhile (tests run membership changes concurrently): join again instead.
        if (!isTidingsError(error, 'not_found')) throw error
      }
    }
    await this.kit.join(space, owner, user, role)
  }

  /**
   * `user` is removed by an owner (or leaves, when it is the only owner left to ask). Answers
   * the space's head at the removal, as its `leave` entry records it: every bundle after it
   * was pushed after the removal; null when `user` was not a member (nothing changes then).
   */
  async remove(space: string, user: string): Promise<number | null> {
    const caller = (await this.ownerOtherThan(space, user).catch(() => null)) ?? user
    try {
      await this.store.removeMember({ space, caller, user, now: Date.now() })
    } catch (error) {
      // Not a member (never was, or removed already): nothing happens, nothing to record.
      if (isTidingsError(error, 'not_found')) return null
      throw error
    }
    const feed = await readFeed(this.db, user, 0, Number.MAX_SAFE_INTEGER)
    const leave = feed.filter((e) => e.space === space && e.kind === 'leave').at(-1)
    if (!leave) throw new Error(`no leave entry for ${user} in ${space}`)
    return leave.to
  }

  private async ownerOtherThan(space: string, user: string): Promise<string> {
    const row = await this.db
      .selectFrom('members')
      .select('user_id')
      .where('space', '=', space)
      .where('role', '=', 'owner')
      .where('user_id', '!=', user)
      .orderBy('user_id')
      .executeTakeFirst()
    if (!row) throw new Error(`space ${space} has no owner besides ${user}`)
    return row.user_id
  }
}
