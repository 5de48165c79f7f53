import { TidingsError } from '@tidings/protocol'
import type { Store } from '../store/store.js'

const MAX_CACHED = 100_000

/**
 * Registers client ids to their user at first use and refuses a client of another user
 * (403). A client never changes owner, so confirmed pairs are cached; the database stays the
 * only authority (a cache miss asks it).
 */
export class ClientRegistry {
  private readonly owners = new Map<string, string>()

  constructor(private readonly store: Store) {}

  /** True when every id is known to belong to `userId` (no database call needed). */
  knows(userId: string, clientIds: readonly string[]): boolean {
    return clientIds.every((id) => this.owners.get(id) === userId)
  }

  async assertOwned(userId: string, clientIds: readonly string[], now: number): Promise<void> {
    const unknown = clientIds.filter((id) => this.owners.get(id) !== userId)
    if (unknown.length === 0) return
    const owners = await this.store.registerClients(userId, unknown, now)
    for (const id of unknown) {
      const owner = owners.get(id)
      if (owner !== userId)
        throw new TidingsError(
          'forbidden',
          `client ${id} belongs to another user; a client id is never shared`,
          {
            details: { client: id },
          },
        )
      if (this.owners.size >= MAX_CACHED) this.owners.clear()
      this.owners.set(id, owner)
    }
  }
}
