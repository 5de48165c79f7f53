import { newId } from '@tidings/protocol'
import { addUserWithoutToken } from '../auth/users.js'
import type { Store } from '../store/store.js'
import type { UserLine } from './format.js'

/**
 * The target database's users as an import sees them, matched by name: created without a token
 * when missing (tokens are never exported), and revoked when the export says so.
 */
export class ImportUsers {
  /** Names this import created, in order. */
  readonly created: string[] = []
  /** Names this import revoked (they were active in the target). */
  readonly revoked: string[] = []

  private constructor(
    private readonly store: Store,
    private readonly byName: Map<string, { id: string; revokedAt: number | null }>,
  ) {}

  static async load(store: Store): Promise<ImportUsers> {
    const users = await store.listUsers()
    return new ImportUsers(store, new Map(users.map((u) => [u.name, u])))
  }

  /** The id of `name`, creating the user (without a token, created at `createdAt`) if missing. */
  async id(name: string, createdAt: number): Promise<string> {
    const known = this.byName.get(name)
    if (known) return known.id
    const user = await addUserWithoutToken(this.store, name, createdAt)
    this.byName.set(name, { id: user.id, revokedAt: null })
    this.created.push(name)
    return user.id
  }

  /**
   * An identity provider's user: created as that identity's user, so its next JWT signs in to
   * the imported data (a user the target already made for it is taken as it is).
   */
  private async identity(
    line: UserLine,
    identity: { issuer: string; subject: string },
  ): Promise<void> {
    const user = await this.store.userOfIdentity({
      ...identity,
      id: newId(),
      name: line.name,
      now: line.createdAt,
    })
    if (user.name === line.name) this.created.push(line.name)
    this.byName.set(line.name, { id: user.id, revokedAt: user.revokedAt })
  }

  /**
   * A user line: the user exists afterwards, revoked if the export says so. A revocation is
   * never undone: an active user in the export leaves a user revoked in the target revoked
   * (revoking is for good, and an old export must not bring an account back).
   */
  async restore(line: UserLine): Promise<void> {
    if (line.identity && !this.byName.has(line.name)) await this.identity(line, line.identity)
    await this.id(line.name, line.createdAt)
    const user = this.byName.get(line.name)
    if (line.revokedAt === null || !user || user.revokedAt !== null) return
    await this.store.revokeUser(line.name, line.revokedAt)
    user.revokedAt = line.revokedAt
    this.revoked.push(line.name)
  }
}
