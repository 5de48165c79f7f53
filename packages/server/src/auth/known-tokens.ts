import type { Caller } from './authenticate.js'

const MAX_KNOWN = 100_000

/**
 * Who each token seen lately names, by the token's hash. An identity only, never a permission:
 * whether the token is still valid is asked of the database on every request, in the same
 * round trip as the request's own work (see `TokenHolder`), so a revoked token stops working at
 * once, on every node. Unknown tokens are never remembered.
 */
export class KnownTokens {
  readonly #callers = new Map<string, Caller>()

  remember(tokenHash: string, caller: Caller): void {
    if (this.#callers.size >= MAX_KNOWN) this.#callers.clear()
    this.#callers.set(tokenHash, caller)
  }

  recall(tokenHash: string): Caller | undefined {
    return this.#callers.get(tokenHash)
  }
}
