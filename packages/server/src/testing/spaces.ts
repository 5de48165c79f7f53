import { newId } from '@tidings/protocol'
import type { Kysely } from 'kysely'
import { hashInviteCode, newInviteCode } from '../http/routes/invites.js'
import { type FeedRow, readFeed } from '../store/feed.js'
import type { Database } from '../store/schema.js'
import type { NewInvite, Store } from '../store/store.js'
import { TestClient } from './fixtures.js'

/** Helpers for tests of spaces, members and invites against a real store. */
export class SpacesTestKit {
  constructor(private readonly store: () => Store) {}

  /** The store's Kysely handle (tests only: an in-memory SQLite has no other way in). */
  get db(): Kysely<Database> {
    return (this.store() as unknown as { db: Kysely<Database> }).db
  }

  /** A new user (no usable token); answers its id, which is also its private space's id. */
  async user(name = `user-${newId().slice(-12)}`): Promise<string> {
    const id = newId()
    await this.store().createUser({ id, name, tokenHash: `test:${id}`, now: Date.now() })
    return id
  }

  async space(owner: string, name = 'shared'): Promise<string> {
    const space = await this.store().createSpace({ id: newId(), name, owner, now: Date.now() })
    return space.id
  }

  /** An invite made by `owner`; answers its code and id. */
  async invite(
    space: string,
    owner: string,
    options: Partial<Pick<NewInvite, 'role' | 'expiresAt' | 'maxUses' | 'now'>> = {},
  ): Promise<{ code: string; id: string }> {
    const code = newInviteCode()
    const invite = await this.store().createInvite({
      id: newId(),
      space,
      caller: owner,
      codeHash: hashInviteCode(code),
      role: options.role ?? 'writer',
      now: options.now ?? Date.now(),
      ...(options.expiresAt !== undefined && { expiresAt: options.expiresAt }),
      ...(options.maxUses !== undefined && { maxUses: options.maxUses }),
    })
    return { code, id: invite.id }
  }

  accept(code: string, user: string, now = Date.now()) {
    return this.store().acceptInvite({ codeHash: hashInviteCode(code), user, now })
  }

  /** `user` joins `space` with `role` through a fresh invite of `owner`. */
  async join(space: string, owner: string, user: string, role: 'owner' | 'writer' | 'reader') {
    const { code } = await this.invite(space, owner, { role })
    return this.accept(code, user)
  }

  /** Stores `count` bundles straight into the space's stream (no role check: setup only). */
  async fill(space: string, count: number): Promise<number> {
    const device = new TestClient()
    const bundles = Array.from({ length: count }, () => device.bundle())
    return (await this.store().push({ stream: space, bundles, now: Date.now() })).head
  }

  feed(user: string): Promise<FeedRow[]> {
    return readFeed(this.db, user, 0, 1_000)
  }
}
